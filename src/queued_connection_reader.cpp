// Internal. QueuedConnectionReader: the queue side of a reader.
#include "queuednet/queued_connection_reader.h"


#include "copy_bytes.h"
#include "engine/connection_core.h"
#include "engine/engine.h"
#include "engine/event_loop.h"
#include "engine/queue_wait.h"
#include "engine/reader_core.h"
#include "engine/reader_stage.h"

namespace queuednet {

using detail::ReaderStage;

QueuedConnectionReader::QueuedConnectionReader(ConnectionManager *manager, int num_threads)
    : ConnectionReader(manager, num_threads, "QueuedConnectionReader") {}

QueuedConnectionReader::~QueuedConnectionReader() = default;

bool QueuedConnectionReader::data_available() {
  if (ReaderStage::mine(core_, engine_).size() > 0 || !core_->queue.empty()) return true;
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

// The application takes it: the stage counts it against its connection's input budget (see
// reader_stage.h).
detail::QueuedDatagram *QueuedConnectionReader::take() {
  detail::QueuedDatagram *item = ReaderStage::mine(core_, engine_).take();
  if (item == nullptr) engine_->application_idle();
  return item;
}

bool QueuedConnectionReader::get_data(NetDatagram &result) {
  detail::QueuedDatagram *item = take();
  if (item == nullptr) return false;
  fill(result, *item);
  if (item->from_len == 0) {
    result.set_peer_address(std::move(item->connection));
  } else {
    result.set_connection(item->connection);
    result.set_address(NetAddress(item->from(), item->from_len));
    item->connection.reset();
  }
  return true;
}

bool QueuedConnectionReader::get_data(Datagram &result) {
  detail::QueuedDatagram *item = take();
  if (item == nullptr) return false;
  fill(result, *item);
  item->connection.reset();
  return true;
}

void QueuedConnectionReader::fill(Datagram &result, detail::QueuedDatagram &item) {
  if (item.payload_inline()) {
    // Reuses the result's buffer: no allocation, and no work to size it when the application
    // reuses one NetDatagram for datagrams of one size.
    vector_uchar &bytes = result.modify_array();
    bytes.resize(item.size);
    detail::copy_bytes(bytes.data(), item.data(), item.size);
  } else {
    result.modify_array().swap(item.large());
  }
}

void QueuedConnectionReader::set_max_queue_size(int max_size) { core_->queue.set_max_size(max_size); }
int QueuedConnectionReader::get_max_queue_size() const { return core_->queue.max_size(); }
int QueuedConnectionReader::get_current_queue_size() const {
  // What the calling thread has staged is still queued, for it.
  return static_cast<int>(core_->queue.size() + ReaderStage::mine(core_, engine_).size());
}
bool QueuedConnectionReader::get_overflow_flag() const { return core_->queue.overflow(); }
void QueuedConnectionReader::reset_overflow_flag() { core_->queue.reset_overflow(); }
uint64_t QueuedConnectionReader::get_num_dropped() const { return core_->queue.dropped(); }

}  // namespace queuednet
