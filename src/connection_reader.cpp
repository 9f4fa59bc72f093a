// Internal. ConnectionReader: membership, framing settings, input budget and fault injection;
// the loops do the reading.
#include "queuednet/connection_reader.h"

#include <algorithm>
#include <cmath>

#include "component_threads.h"
#include "engine/engine.h"
#include "engine_bridge.h"
#include "engine/event_loop.h"
#include "engine/reader_core.h"
#include "error_record.h"
#include "queuednet/connection_manager.h"

namespace queuednet {

using detail::ConnectionAccess;

ConnectionReader::ConnectionReader(ConnectionManager *manager, int num_threads, const char *name)
    : engine_(manager->engine_), core_(std::make_shared<detail::ReaderCore>()) {
  detail::apply_component_threads(*engine_, num_threads, name);
  engine_->close_on_shutdown(&core_->queue);
}

ConnectionReader::~ConnectionReader() {
  engine_->forget_on_shutdown(&core_->queue);
  shutdown();
}

bool ConnectionReader::add_connection(Connection *connection) {
  if (connection == nullptr) {
    detail::set_last_error(make_error_code(errc::invalid_argument), "add_connection(nullptr)");
    return false;
  }
  detail::ConnectionCore &c = ConnectionAccess::core(*connection);
  if (c.owner != engine_.get() || engine_->is_shut_down()) {
    detail::set_last_error(make_error_code(errc::shut_down),
                           "add_connection: the connection's manager is not this reader's, or it is shut down");
    return false;
  }
  if (c.kind == detail::ChannelKind::listener) {
    detail::set_last_error(make_error_code(errc::wrong_connection_kind),
                           "add_connection: a listening rendezvous belongs in a QueuedConnectionListener");
    return false;
  }
  if (!connection->is_open() || c.close_requested.load()) {
    detail::set_last_error(make_error_code(errc::connection_closed), "add_connection: the connection is closed");
    return false;
  }
  if (c.attached.exchange(true)) {
    detail::set_last_error(make_error_code(errc::already_added), "add_connection: already in a reader");
    return false;
  }
  const detail::ConnectionRef ref = detail::ref_of(connection->shared_from_this());
  {
    std::lock_guard lock(c.member_lock);
    c.reader = core_;
  }
  core_->members.add(ref);
  engine_->loop_of(c).sync(ref);
  return true;
}

namespace {

// Detaches `connection` from `reader` and has its loop stop reading it.
void detach(detail::Engine &engine, const std::shared_ptr<detail::ReaderCore> &reader, const detail::ConnectionRef &c) {
  detail::ConnectionCore &core = *c;
  {
    std::lock_guard lock(core.member_lock);  // waits for a batch being pushed to finish
    if (core.reader == reader) core.reader.reset();
  }
  core.attached.store(false);
  engine.loop_of(core).sync(c);
}

}  // namespace

bool ConnectionReader::remove_connection(Connection *connection) {
  if (connection == nullptr || !core_->members.remove(&ConnectionAccess::core(*connection))) {
    detail::set_last_error_quiet(make_error_code(errc::not_found), "remove_connection: not in this reader");
    return false;
  }
  detach(*engine_, core_, detail::ref_of(connection->shared_from_this()));
  return true;
}

bool ConnectionReader::is_connection_ok(Connection *connection) const {
  if (connection == nullptr) return false;
  const detail::ConnectionCore &c = ConnectionAccess::core(*connection);
  return connection->is_open() && !c.close_requested.load() && !c.reset_reported.load() &&
         core_->members.contains(&c);
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
uint64_t ConnectionReader::get_num_datagrams_received() const { return core_->datagrams_received.load(); }
uint64_t ConnectionReader::get_num_bytes_received() const { return core_->bytes_received.load(); }

void ConnectionReader::set_input_budget(size_t max_datagrams, size_t max_bytes) {
  // The InputAccount packs counts into 24 and 40 bits.
  core_->budget_datagrams.store(std::clamp<uint64_t>(max_datagrams, 1, (1u << 23)));
  core_->budget_bytes.store(std::clamp<uint64_t>(max_bytes, 1, uint64_t{1} << 39));
}
size_t ConnectionReader::get_input_budget_datagrams() const { return core_->budget_datagrams.load(); }
size_t ConnectionReader::get_input_budget_bytes() const { return core_->budget_bytes.load(); }

void ConnectionReader::start_delay(double min_delay, double max_delay) {
  const auto ns = [](double s) {
    return static_cast<int64_t>(std::clamp(std::isfinite(s) ? s : 0.0, 0.0, 3600.0) * 1e9);
  };
  const int64_t lo = ns(std::min(min_delay, max_delay));
  const int64_t hi = std::max<int64_t>(ns(std::max(min_delay, max_delay)), 1);
  core_->delay_min_ns.store(lo);
  core_->delay_max_ns.store(hi);
}
void ConnectionReader::stop_delay() { core_->delay_max_ns.store(0); }

void ConnectionReader::set_udp_drop_probability(double probability) {
  core_->udp_drop_probability.store(std::isfinite(probability) ? std::clamp(probability, 0.0, 1.0) : 0.0);
}
uint64_t ConnectionReader::get_num_udp_dropped() const { return core_->udp_dropped_by_fault_injection.load(); }

void ConnectionReader::shutdown() {
  for (auto &c : core_->members.take_all()) detach(*engine_, core_, c);
}

}  // namespace queuednet
