// Internal. QueuedConnectionListener: the queue side of a listener.
#include "queuednet/queued_connection_listener.h"

#include "engine/engine.h"
#include "engine/queue_wait.h"
#include "engine/reader_core.h"
#include "engine_bridge.h"
#include "readiness_fd.h"

namespace queuednet {

QueuedConnectionListener::QueuedConnectionListener(ConnectionManager *manager, int num_threads)
    : ConnectionListener(manager, num_threads, "QueuedConnectionListener") {}

QueuedConnectionListener::~QueuedConnectionListener() { core_->queue.close_readiness(); }

bool QueuedConnectionListener::new_connection_available() {
  if (core_->queue.empty()) {
    core_->drain.look_for_more(*engine_, [this] { return core_->queue.empty(); });
    if (core_->queue.empty()) {
      core_->queue.readiness_idle([this] { return !core_->queue.empty(); });
      return false;
    }
  }
  if (engine_->polled()) core_->drain.found();
  return true;
}

bool QueuedConnectionListener::wait_for_connection(double timeout) {
  return detail::wait_for_queue(*engine_, core_->queue, timeout, [this] { return new_connection_available(); });
}

bool QueuedConnectionListener::get_new_connection(std::shared_ptr<Connection> &rendezvous, NetAddress &address,
                                                  std::shared_ptr<Connection> &new_connection) {
  detail::ListenerItem item;
  if (!core_->queue.pop(item)) {
    core_->queue.readiness_idle([this] { return !core_->queue.empty(); });
    return false;
  }
  rendezvous = detail::handle_of(std::move(item.rendezvous));
  address = detail::net_address(item.address);
  new_connection = detail::handle_of(std::move(item.connection));
  return true;
}

bool QueuedConnectionListener::get_new_connection(std::shared_ptr<Connection> &new_connection) {
  std::shared_ptr<Connection> rendezvous;
  NetAddress address;
  return get_new_connection(rendezvous, address, new_connection);
}

void QueuedConnectionListener::set_max_queue_size(int max_size) { core_->queue.set_max_size(max_size); }
int QueuedConnectionListener::get_max_queue_size() const { return core_->queue.max_size(); }
int QueuedConnectionListener::get_current_queue_size() const { return static_cast<int>(core_->queue.size()); }
bool QueuedConnectionListener::get_overflow_flag() const { return core_->queue.overflow(); }
void QueuedConnectionListener::reset_overflow_flag() { core_->queue.reset_overflow(); }
uint64_t QueuedConnectionListener::get_num_dropped() const { return core_->queue.dropped(); }

int QueuedConnectionListener::get_readiness_fd() {
  return detail::readiness_fd_for(*engine_, core_->queue, "QueuedConnectionListener::get_readiness_fd");
}

}  // namespace queuednet
