// Internal. ConnectionListener: rendezvous membership; the loops accept.
#include "queuednet/connection_listener.h"

#include "component_threads.h"
#include "engine/engine.h"
#include "engine_bridge.h"
#include "engine/event_loop.h"
#include "engine/reader_core.h"
#include "error_record.h"
#include "queuednet/connection_manager.h"

namespace queuednet {

using detail::ConnectionAccess;

ConnectionListener::ConnectionListener(ConnectionManager *manager, int num_threads, const char *name)
    : engine_(manager->engine_), core_(std::make_shared<detail::ListenerCore>()) {
  detail::apply_component_threads(*engine_, num_threads, name);
  engine_->close_on_shutdown(&core_->queue);
}

ConnectionListener::~ConnectionListener() {
  engine_->forget_on_shutdown(&core_->queue);
  shutdown();
}

bool ConnectionListener::add_connection(Connection *rendezvous) {
  if (rendezvous == nullptr || ConnectionAccess::core(*rendezvous).owner != engine_.get() ||
      rendezvous->get_kind() != Connection::Kind::tcp_listener || !rendezvous->is_open()) {
    detail::set_last_error(make_error_code(errc::wrong_connection_kind),
                           "listener add_connection: needs an open rendezvous from this listener's manager");
    return false;
  }
  detail::ConnectionCore &c = ConnectionAccess::core(*rendezvous);
  if (c.attached.exchange(true)) {
    detail::set_last_error(make_error_code(errc::already_added), "listener add_connection: already in a listener");
    return false;
  }
  const detail::ConnectionRef ref = detail::ref_of(rendezvous->shared_from_this());
  {
    std::lock_guard lock(c.member_lock);
    c.listener = core_;
  }
  core_->members.add(ref);
  engine_->loop_of(c).sync(ref);
  return true;
}

namespace {

void detach(detail::Engine &engine, const std::shared_ptr<detail::ListenerCore> &listener,
            const detail::ConnectionRef &rendezvous) {
  detail::ConnectionCore &core = *rendezvous;
  {
    std::lock_guard lock(core.member_lock);
    if (core.listener == listener) core.listener.reset();
  }
  core.attached.store(false);
  engine.loop_of(core).sync(rendezvous);
}

}  // namespace

bool ConnectionListener::remove_connection(Connection *rendezvous) {
  if (rendezvous == nullptr || !core_->members.remove(&ConnectionAccess::core(*rendezvous))) {
    detail::set_last_error_quiet(make_error_code(errc::not_found), "listener remove_connection: not in this listener");
    return false;
  }
  detach(*engine_, core_, detail::ref_of(rendezvous->shared_from_this()));
  return true;
}

bool ConnectionListener::is_connection_ok(Connection *rendezvous) const {
  return rendezvous != nullptr && rendezvous->is_open() && !ConnectionAccess::core(*rendezvous).close_requested.load() &&
         core_->members.contains(&ConnectionAccess::core(*rendezvous));
}

void ConnectionListener::poll() { engine_->poll(0); }
ConnectionManager *ConnectionListener::get_manager() const { return engine_->manager(); }
bool ConnectionListener::is_polling() const { return engine_->polled(); }
int ConnectionListener::get_num_threads() const { return engine_->num_threads(); }
uint64_t ConnectionListener::get_num_accept_refusals() const { return core_->accept_refusals.load(); }

void ConnectionListener::shutdown() {
  for (auto &c : core_->members.take_all()) detach(*engine_, core_, c);
}

}  // namespace queuednet
