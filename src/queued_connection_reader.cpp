// Internal. QueuedConnectionReader: the queue side of a reader.
#include "queuednet/queued_connection_reader.h"

#include "copy_bytes.h"
#include "engine/engine.h"
#include "engine/event_loop.h"
#include "engine/queue_wait.h"
#include "engine/reader_core.h"
#include "engine_bridge.h"
#include "readiness_fd.h"

namespace queuednet {

QueuedConnectionReader::QueuedConnectionReader(ConnectionManager *manager, int num_threads)
    : ConnectionReader(manager, num_threads, "QueuedConnectionReader") {}

QueuedConnectionReader::~QueuedConnectionReader() { core_->queue.close_readiness(); }

bool QueuedConnectionReader::data_available() {
  if (!core_->has_data()) {
    core_->drain.look_for_more(*engine_, [this] { return !core_->has_data(); });
    if (!core_->has_data()) {
      core_->queue.readiness_idle([this] { return core_->has_data(); });
      return false;
    }
  }
  if (engine_->polled()) core_->drain.found();
  return true;
}

bool QueuedConnectionReader::wait_for_data(double timeout) {
  return detail::wait_for_queue(*engine_, core_->queue, timeout, [this] { return data_available(); },
                                [this] { return core_->has_data(); });
}

// The application takes the front's next datagram; the front counts it against its
// connection's input budget (see reader_front.h). `use` moves out what the caller keeps.
template <class Use>
bool QueuedConnectionReader::take(Use use) {
  detail::ConnectionRef resume;
  const bool taken = core_->front.take(
      core_->queue, engine_->polled() ? &engine_->waiting_datagrams() : nullptr,
      [this](uint64_t outstanding) { return core_->below_low_water(outstanding); }, &resume, use);
  if (resume) engine_->loop_of(*resume).sync(resume);  // back under half its budget
  if (!taken) {
    engine_->application_idle();
    core_->queue.readiness_idle([this] { return core_->has_data(); });
  }
  return taken;
}

bool QueuedConnectionReader::get_data(NetDatagram &result) {
  return take([&](detail::QueuedDatagram &item) {
    fill(result, item);
    if (item.from_len == 0) {
      result.set_peer_address(detail::handle_of(std::move(item.connection)));
    } else {
      result.set_sender(detail::handle_of(std::move(item.connection)), NetAddress(item.from(), item.from_len));
    }
  });
}

bool QueuedConnectionReader::get_data(Datagram &result) {
  return take([&](detail::QueuedDatagram &item) { fill(result, item); });
}

size_t QueuedConnectionReader::get_data(std::span<NetDatagram> out) {
  size_t n = 0;
  while (n < out.size() && get_data(out[n])) ++n;
  return n;
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
  return static_cast<int>(core_->queue.size() + core_->front.size());
}
bool QueuedConnectionReader::get_overflow_flag() const { return core_->queue.overflow(); }
void QueuedConnectionReader::reset_overflow_flag() { core_->queue.reset_overflow(); }
uint64_t QueuedConnectionReader::get_num_dropped() const { return core_->queue.dropped(); }

int QueuedConnectionReader::get_readiness_fd() {
  return detail::readiness_fd_for(*engine_, core_->queue, "QueuedConnectionReader::get_readiness_fd");
}

}  // namespace queuednet
