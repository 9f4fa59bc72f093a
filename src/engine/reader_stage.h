// Internal. ReaderStage: the datagrams one thread took from one reader's queue at once, handed
// out one per get_data().
//
// Taking datagrams one by one from the shared queue costs several atomic read-modify-writes
// each (the queue's own two, the pop count, the connection's input account, the polled wait
// count). A stage takes up to kCapacity with one bulk dequeue and settles the counts once per
// bulk, or once per run of one connection's datagrams:
//  - the connection's InputAccount::consumed is added when the thread takes the last datagram
//    of a run (the next staged one is another connection's, or none is left), so it is exact
//    whenever the thread has answered a run and lags behind by less than a run otherwise;
//  - polled mode's waiting count (the write rule's "nothing is waiting to be read") goes down
//    when the thread takes the stage's last datagram: until then the staged ones still wait.
// Staged datagrams belong to that thread: only it can take them, in order. A thread that ends,
// or that needs its stage for a fifth reader, gives what is left back to the head of the
// reader's queue (ResultQueue::give_back), so nothing is lost; another thread may then take
// them after later datagrams of the same connection that it took meanwhile.
// Thread contract: a stage is used by its own thread only (thread-local).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/queued_datagram.h"
#include "engine/reader_core.h"

namespace queuednet::detail {

class Engine;

class ReaderStage {
 public:
  static constexpr size_t kCapacity = 16;

  // The calling thread's stage for `reader`, whose datagrams are `engine`'s.
  static ReaderStage &mine(const std::shared_ptr<ReaderCore> &reader, const std::shared_ptr<Engine> &engine) {
    ReaderStage *last = last_used;
    if (last != nullptr && last->queue_id_ == reader->queue.id()) [[likely]] return *last;
    return find_or_bind(reader, engine);
  }

  ReaderStage() = default;
  ReaderStage(const ReaderStage &) = delete;
  ReaderStage &operator=(const ReaderStage &) = delete;
  ~ReaderStage();

  size_t size() const { return count_ - next_; }
  // The next datagram, taken from the stage (refilled from the reader's queue when empty), or
  // nullptr when there is none. The caller moves what it needs out of it before the next call.
  QueuedDatagram *take();

 private:
  static ReaderStage &find_or_bind(const std::shared_ptr<ReaderCore> &reader, const std::shared_ptr<Engine> &engine);
  void bind(const std::shared_ptr<ReaderCore> &reader, const std::shared_ptr<Engine> &engine, uint64_t queue_id);
  // Gives what is left back to the reader's queue (or, when the reader is gone, counts it as
  // never taken) and unbinds the stage.
  void release();
  // Adds the run's units to the connection of the datagram just taken.
  void settle(const std::shared_ptr<Connection> &c);

  uint64_t queue_id_ = 0;  // 0: unbound
  // Valid while bound: the reader's owner holds both, and passes them to mine() on each use.
  ReaderCore *reader_ = nullptr;
  Engine *engine_ = nullptr;
  // For release() when the thread ends or the stage is rebound.
  std::weak_ptr<ReaderCore> reader_weak_;
  std::weak_ptr<Engine> engine_weak_;
  uint32_t next_ = 0, count_ = 0;
  uint64_t run_units_ = 0;  // taken from the current run, not yet added to its connection
  std::array<QueuedDatagram, kCapacity> items_;

  // The stage this thread used last: most calls come from a thread that serves one reader.
  // Initial-exec: a plain load relative to the thread pointer, not a call to __tls_get_addr.
  __attribute__((tls_model("initial-exec"))) static inline thread_local ReaderStage *last_used = nullptr;
};

}  // namespace queuednet::detail
