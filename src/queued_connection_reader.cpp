// Internal. QueuedConnectionReader: the queue side of a reader.
#include "queuednet/queued_connection_reader.h"

#include "engine/connection_core.h"
#include "engine/engine.h"
#include "engine/event_loop.h"
#include "engine/queue_wait.h"
#include "engine/reader_core.h"

namespace queuednet {

using detail::ConnectionAccess;
using detail::InputAccount;

QueuedConnectionReader::QueuedConnectionReader(ConnectionManager *manager, int num_threads)
    : ConnectionReader(manager, num_threads, "QueuedConnectionReader") {}

QueuedConnectionReader::~QueuedConnectionReader() = default;

bool QueuedConnectionReader::data_available() {
  if (!core_->queue.empty()) return true;
  if (engine_->polled()) {
    engine_->poll(0);
  } else {
    engine_->application_idle();
  }
  return !core_->queue.empty();
}

bool QueuedConnectionReader::wait_for_data(double timeout) {
  return detail::wait_for_queue(*engine_, core_->queue, timeout, [this] { return data_available(); });
}

bool QueuedConnectionReader::take(detail::QueuedDatagram &item) {
  if (!core_->queue.pop(item)) {
    engine_->application_idle();
    return false;
  }
  // The application took it: count it against the connection's input budget, and let the loop
  // read the connection again if this brought it back under half the budget.
  const std::shared_ptr<Connection> &c = item.connection;
  detail::ConnectionCore &core = ConnectionAccess::core(*c);
  core.input.consumed.fetch_add(InputAccount::unit(item.size), std::memory_order_seq_cst);
  if (core.input.paused.load(std::memory_order_seq_cst) && core_->below_low_water(core.input.outstanding()) &&
      core.input.paused.exchange(false)) {
    engine_->loop_of(*c).sync(c);
  }
  if (engine_->polled()) engine_->waiting_datagrams().fetch_sub(1, std::memory_order_relaxed);
  return true;
}

bool QueuedConnectionReader::get_data(NetDatagram &result) {
  detail::QueuedDatagram item;
  if (!take(item)) return false;
  fill(result, item);
  if (item.from_len == 0) {
    result.set_peer_address(std::move(item.connection));
  } else {
    result.set_connection(std::move(item.connection));
    result.set_address(NetAddress(reinterpret_cast<const sockaddr *>(&item.from), item.from_len));
  }
  return true;
}

bool QueuedConnectionReader::get_data(Datagram &result) {
  detail::QueuedDatagram item;
  if (!take(item)) return false;
  fill(result, item);
  return true;
}

void QueuedConnectionReader::fill(Datagram &result, detail::QueuedDatagram &item) {
  if (item.size <= detail::QueuedDatagram::kInlineBytes) {
    result.set_array(item.small, item.size);  // reuses the result's buffer: no allocation
  } else {
    result.modify_array().swap(item.large);
  }
}

void QueuedConnectionReader::set_max_queue_size(int max_size) { core_->queue.set_max_size(max_size); }
int QueuedConnectionReader::get_max_queue_size() const { return core_->queue.max_size(); }
int QueuedConnectionReader::get_current_queue_size() const { return static_cast<int>(core_->queue.size()); }
bool QueuedConnectionReader::get_overflow_flag() const { return core_->queue.overflow(); }
void QueuedConnectionReader::reset_overflow_flag() { core_->queue.reset_overflow(); }
uint64_t QueuedConnectionReader::get_num_dropped() const { return core_->queue.dropped(); }

}  // namespace queuednet
