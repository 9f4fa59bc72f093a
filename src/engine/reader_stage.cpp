// Internal. See reader_stage.h.
#include "engine/reader_stage.h"

#include "engine/connection_core.h"
#include "engine/engine.h"
#include "engine/event_loop.h"
#include "engine/reader_core.h"

namespace queuednet::detail {
namespace {

// Readers one thread takes datagrams from without giving a stage back. A thread serving more
// readers in turn gives back the stage of the one it used longest ago.
constexpr size_t kStagesPerThread = 4;

struct ThreadStages {
  std::array<ReaderStage, kStagesPerThread> slots;
  size_t next_victim = 0;
};

}  // namespace

ReaderStage &ReaderStage::find_or_bind(const std::shared_ptr<ReaderCore> &reader,
                                       const std::shared_ptr<Engine> &engine) {
  const uint64_t id = reader->queue.id();
  thread_local ThreadStages stages;
  for (ReaderStage &s : stages.slots) {
    if (s.queue_id_ == id) return *(last_used = &s);
  }
  ReaderStage *pick = nullptr;
  for (ReaderStage &s : stages.slots) {
    if (s.queue_id_ == 0 || s.size() == 0) {  // nothing to give back
      pick = &s;
      break;
    }
  }
  if (pick == nullptr) pick = &stages.slots[stages.next_victim++ % kStagesPerThread];
  pick->release();
  pick->bind(reader, engine, id);
  return *(last_used = pick);
}

ReaderStage::~ReaderStage() {
  if (last_used == this) last_used = nullptr;
  release();
}

void ReaderStage::bind(const std::shared_ptr<ReaderCore> &reader, const std::shared_ptr<Engine> &engine,
                       uint64_t queue_id) {
  queue_id_ = queue_id;
  reader_ = reader.get();
  engine_ = engine.get();
  reader_weak_ = reader;
  engine_weak_ = engine;
}

QueuedDatagram *ReaderStage::take() {
  if (next_ == count_) {
    next_ = 0;
    count_ = static_cast<uint32_t>(reader_->queue.pop_bulk(items_.data(), kCapacity));
    if (count_ == 0) return nullptr;
  }
  QueuedDatagram &item = items_[next_++];
  run_units_ += InputAccount::unit(item.size);
  if (next_ == count_ || items_[next_].connection != item.connection) settle(item.connection);
  if (next_ == count_ && engine_->polled()) {
    engine_->waiting_datagrams().fetch_sub(count_, std::memory_order_relaxed);
  }
  return &item;
}

void ReaderStage::settle(const std::shared_ptr<Connection> &c) {
  ConnectionCore &core = ConnectionAccess::core(*c);
  core.input.consumed.fetch_add(run_units_, std::memory_order_seq_cst);
  run_units_ = 0;
  // Back under half the budget: the loop may read the connection again.
  if (core.input.paused.load(std::memory_order_seq_cst) && reader_->below_low_water(core.input.outstanding()) &&
      core.input.paused.exchange(false)) {
    engine_->loop_of(*c).sync(c);
  }
}

void ReaderStage::release() {
  if (queue_id_ == 0) return;
  const std::shared_ptr<ReaderCore> reader = reader_weak_.lock();
  const std::shared_ptr<Engine> engine = engine_weak_.lock();
  if (next_ < count_) {
    QueuedDatagram *left = items_.data() + next_;
    const size_t n = count_ - next_;
    if (reader && engine) {
      if (run_units_ > 0) settle(left->connection);  // the run goes on in what is left
      reader->queue.give_back(left, n);              // still waiting to be read
      if (engine->polled()) engine->waiting_datagrams().fetch_sub(next_, std::memory_order_relaxed);
    } else {
      // Nobody will take them: count them as taken, so their connections are not held paused.
      for (size_t i = 0; i < n; ++i) {
        const uint64_t units = InputAccount::unit(left[i].size) + (i == 0 ? run_units_ : 0);
        ConnectionAccess::core(*left[i].connection).input.consumed.fetch_add(units);
        left[i].connection.reset();
      }
      if (engine && engine->polled()) engine->waiting_datagrams().fetch_sub(count_, std::memory_order_relaxed);
    }
  }
  next_ = count_ = 0;
  run_units_ = 0;
  queue_id_ = 0;
  reader_ = nullptr;
  engine_ = nullptr;
  reader_weak_.reset();
  engine_weak_.reset();
}

}  // namespace queuednet::detail
