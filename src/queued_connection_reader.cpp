// Internal. QueuedConnectionReader: the queue side of a reader.
#include "queuednet/queued_connection_reader.h"

#include "engine/engine.h"
#include "engine/queue_wait.h"
#include "engine/reader_core.h"

namespace queuednet {

QueuedConnectionReader::QueuedConnectionReader(ConnectionManager *manager, int num_threads)
    : ConnectionReader(manager, num_threads, "QueuedConnectionReader") {}

QueuedConnectionReader::~QueuedConnectionReader() = default;

bool QueuedConnectionReader::data_available() {
  if (!core_->queue.empty()) return true;
  if (engine_->polled()) engine_->poll(0);
  return !core_->queue.empty();
}

bool QueuedConnectionReader::wait_for_data(double timeout) {
  return detail::wait_for_queue(*engine_, core_->queue, timeout, [this] { return data_available(); });
}

bool QueuedConnectionReader::get_data(NetDatagram &result) { return core_->queue.pop(result); }

bool QueuedConnectionReader::get_data(Datagram &result) {
  NetDatagram dg;
  if (!core_->queue.pop(dg)) return false;
  result = std::move(static_cast<Datagram &>(dg));
  return true;
}

void QueuedConnectionReader::set_max_queue_size(int max_size) { core_->queue.set_max_size(max_size); }
int QueuedConnectionReader::get_max_queue_size() const { return core_->queue.max_size(); }
int QueuedConnectionReader::get_current_queue_size() const { return static_cast<int>(core_->queue.size()); }
bool QueuedConnectionReader::get_overflow_flag() const { return core_->queue.overflow(); }
void QueuedConnectionReader::reset_overflow_flag() { core_->queue.reset_overflow(); }
uint64_t QueuedConnectionReader::get_num_dropped() const { return core_->queue.dropped(); }

}  // namespace queuednet
