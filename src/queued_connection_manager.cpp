// Internal. QueuedConnectionManager: the reset queue.
#include "queuednet/queued_connection_manager.h"

#include "engine/engine.h"
#include "engine_bridge.h"
#include "readiness_fd.h"

namespace queuednet {

QueuedConnectionManager::~QueuedConnectionManager() { engine_->resets().close_readiness(); }

bool QueuedConnectionManager::reset_connection_available() const {
  if (!engine_->resets().empty()) return true;
  engine_->application_idle();  // the application finds nothing: what it sent goes out now
  engine_->resets().readiness_idle([this] { return !engine_->resets().empty(); });
  return false;
}

bool QueuedConnectionManager::get_reset_connection(std::shared_ptr<Connection> &connection) {
  detail::ConnectionRef ref;
  if (engine_->resets().pop(ref)) {
    connection = detail::handle_of(std::move(ref));
    return true;
  }
  engine_->resets().readiness_idle([this] { return !engine_->resets().empty(); });
  return false;
}

void QueuedConnectionManager::set_max_queue_size(int max_size) { engine_->resets().set_max_size(max_size); }
int QueuedConnectionManager::get_max_queue_size() const { return engine_->resets().max_size(); }
int QueuedConnectionManager::get_current_queue_size() const { return static_cast<int>(engine_->resets().size()); }
bool QueuedConnectionManager::get_overflow_flag() const { return engine_->resets().overflow(); }
void QueuedConnectionManager::reset_overflow_flag() { engine_->resets().reset_overflow(); }

int QueuedConnectionManager::get_readiness_fd() {
  return detail::readiness_fd_for(*engine_, engine_->resets(), "QueuedConnectionManager::get_readiness_fd");
}

}  // namespace queuednet
