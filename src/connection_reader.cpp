// Internal. ConnectionReader: membership and framing settings; the loops do the reading.
#include "queuednet/connection_reader.h"

#include "component_threads.h"
#include "engine/connection_core.h"
#include "engine/engine.h"
#include "engine/event_loop.h"
#include "engine/reader_core.h"
#include "error_record.h"
#include "queuednet/connection_manager.h"

namespace queuednet {

ConnectionReader::ConnectionReader(ConnectionManager *manager, int num_threads, const char *name)
    : engine_(manager->engine_), core_(std::make_shared<detail::ReaderCore>()) {
  detail::apply_component_threads(*engine_, num_threads, name);
}

ConnectionReader::~ConnectionReader() { shutdown(); }

bool ConnectionReader::add_connection(Connection *connection) {
  if (connection == nullptr) {
    detail::set_last_error(make_error_code(errc::invalid_argument), "add_connection(nullptr)");
    return false;
  }
  detail::ConnectionCore &c = connection->core();
  if (c.owner != engine_.get() || engine_->is_shut_down()) {
    detail::set_last_error(make_error_code(errc::shut_down),
                           "add_connection: the connection's manager is not this reader's, or it is shut down");
    return false;
  }
  if (c.kind == Connection::Kind::tcp_listener) {
    detail::set_last_error(make_error_code(errc::wrong_connection_kind),
                           "add_connection: a listening rendezvous belongs in a QueuedConnectionListener");
    return false;
  }
  if (!connection->is_open()) {
    detail::set_last_error(make_error_code(errc::connection_closed), "add_connection: the connection is closed");
    return false;
  }
  if (c.in_reader.exchange(true)) {
    detail::set_last_error(make_error_code(errc::already_added), "add_connection: already in a reader");
    return false;
  }
  std::shared_ptr<Connection> shared = connection->shared_from_this();
  core_->members.add(shared);
  engine_->loop_of(*connection).start_reading(std::move(shared), core_);
  return true;
}

bool ConnectionReader::remove_connection(Connection *connection) {
  if (connection == nullptr || !core_->members.remove(connection)) {
    detail::set_last_error_quiet(make_error_code(errc::not_found), "remove_connection: not in this reader");
    return false;
  }
  connection->core().in_reader.store(false);
  engine_->loop_of(*connection).stop_reading(connection->shared_from_this());
  return true;
}

bool ConnectionReader::is_connection_ok(Connection *connection) const {
  return connection != nullptr && connection->is_open() && !connection->core().close_requested.load() &&
         core_->members.contains(connection);
}

void ConnectionReader::poll() { engine_->poll(0); }

ConnectionManager *ConnectionReader::get_manager() const { return engine_->manager(); }
bool ConnectionReader::is_polling() const { return engine_->polled(); }
int ConnectionReader::get_num_threads() const { return engine_->num_threads(); }

void ConnectionReader::set_raw_mode(bool mode) { core_->raw.store(mode); }
bool ConnectionReader::get_raw_mode() const { return core_->raw.load(); }

bool ConnectionReader::set_tcp_header_size(int size) {
  if (size != 0 && size != 2 && size != 4) {
    detail::set_last_error(make_error_code(errc::invalid_argument),
                           "set_tcp_header_size(" + std::to_string(size) + "): must be 0, 2 or 4");
    return false;
  }
  core_->header_size.store(size);
  return true;
}

int ConnectionReader::get_tcp_header_size() const { return core_->header_size.load(); }
void ConnectionReader::set_max_datagram_size(size_t size) { core_->max_datagram_size.store(size); }
size_t ConnectionReader::get_max_datagram_size() const { return core_->max_datagram_size.load(); }
uint64_t ConnectionReader::get_num_bad_datagrams() const { return core_->bad_udp_datagrams.load(); }
uint64_t ConnectionReader::get_num_oversize_frames() const { return core_->oversize_frames.load(); }

void ConnectionReader::shutdown() {
  for (auto &c : core_->members.take_all()) {
    c->core().in_reader.store(false);
    engine_->loop_of(*c).stop_reading(c);
  }
}

}  // namespace queuednet
