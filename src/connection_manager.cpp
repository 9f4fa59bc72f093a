// Internal. ConnectionManager: socket opening on the caller's thread, then hand-over to a loop.
#include "queuednet/connection_manager.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "backend_kind_map.h"
#include "engine/engine.h"
#include "engine_bridge.h"
#include "engine/event_loop.h"
#include "engine/queue_wait.h"
#include "engine/socket_ops.h"
#include "error_record.h"
#include "log.h"
#include "network_interfaces.h"

namespace queuednet {

ConnectionManager::ConnectionManager(int num_threads, BackendKind backend)
    : engine_(std::make_shared<detail::Engine>(num_threads, detail::to_backend_id(backend))) {
  engine_->set_manager(this);
}

ConnectionManager::~ConnectionManager() {
  engine_->set_manager(nullptr);
  engine_->shutdown();
}

std::shared_ptr<Connection> ConnectionManager::adopt(int fd, Connection::Kind kind, const std::string &what) {
  const detail::SocketAddress address =
      kind == Connection::Kind::tcp_stream ? detail::peer_address(fd) : detail::local_address(fd);
  std::string why;
  detail::ConnectionRef c = engine_->adopt(fd, detail::channel_kind(kind), address, &why);
  if (!c) detail::set_last_error(make_error_code(errc::shut_down), what + ": " + why);
  return detail::handle_of(std::move(c));
}

std::shared_ptr<Connection> ConnectionManager::open_UDP_connection(uint16_t port) {
  return open_UDP_connection("", port, false);
}

std::shared_ptr<Connection> ConnectionManager::open_UDP_connection(const std::string &hostname, uint16_t port,
                                                                   bool for_broadcast) {
  const std::string what = "open_UDP_connection(" + hostname + ":" + std::to_string(port) + ")";
  NetAddress addr;
  if (!hostname.empty() && !addr.set_host(hostname, port)) return nullptr;  // set_host recorded why
  std::error_code ec;
  const detail::SocketAddress bind_to = detail::socket_address(addr);
  const int fd = detail::open_udp(hostname.empty() ? nullptr : &bind_to, port, for_broadcast, get_reuse_port(), ec);
  if (fd < 0) {
    detail::set_last_error(ec, what + ": unable to bind UDP port " + std::to_string(port));
    return nullptr;
  }
  return adopt(fd, Connection::Kind::udp, what);
}

std::shared_ptr<Connection> ConnectionManager::open_TCP_server_rendezvous(uint16_t port, int backlog) {
  return open_TCP_server_rendezvous(std::string(), port, backlog);
}

std::shared_ptr<Connection> ConnectionManager::open_TCP_server_rendezvous(const std::string &hostname, uint16_t port,
                                                                          int backlog) {
  NetAddress addr;
  addr.set_any(port);
  if (!hostname.empty() && !addr.set_host(hostname, port)) return nullptr;
  const std::string what = "open_TCP_server_rendezvous(" + hostname + ":" + std::to_string(port) + ")";
  std::error_code ec;
  const int fd = detail::open_tcp_listener(detail::socket_address(addr), hostname.empty(), backlog, get_reuse_port(), ec);
  if (fd < 0) {
    detail::set_last_error(ec, what + ": unable to listen on TCP port " + std::to_string(port));
    return nullptr;
  }
  return adopt(fd, Connection::Kind::tcp_listener, what);
}

std::shared_ptr<Connection> ConnectionManager::open_TCP_server_rendezvous(const NetAddress &address, int backlog) {
  const std::string what = "open_TCP_server_rendezvous(" + address.to_string() + ")";
  std::error_code ec;
  const int fd = detail::open_tcp_listener(detail::socket_address(address), false, backlog, get_reuse_port(), ec);
  if (fd < 0) {
    detail::set_last_error(ec, what + ": unable to listen");
    return nullptr;
  }
  return adopt(fd, Connection::Kind::tcp_listener, what);
}

std::shared_ptr<Connection> ConnectionManager::open_TCP_client_connection(const NetAddress &address, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  std::error_code ec = make_error_code(errc::connect_timeout);
  for (size_t i = 0; i < address.get_num_resolved(); ++i) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0 && i > 0) break;
    const int fd = detail::connect_tcp(detail::socket_address(address.get_resolved(i)), static_cast<int>(left), ec);
    if (fd >= 0) return adopt(fd, Connection::Kind::tcp_stream, "open_TCP_client_connection");
  }
  detail::set_last_error(ec, "unable to open TCP connection to server " + address.to_string());
  return nullptr;
}

std::shared_ptr<Connection> ConnectionManager::open_TCP_client_connection(const std::string &hostname, uint16_t port,
                                                                          int timeout_ms) {
  NetAddress addr;
  if (!addr.set_host(hostname, port)) return nullptr;
  return open_TCP_client_connection(addr, timeout_ms);
}

bool ConnectionManager::close_connection(const std::shared_ptr<Connection> &connection) {
  if (!connection || !engine_->unregister(&detail::ConnectionAccess::core(*connection))) {
    detail::set_last_error_quiet(make_error_code(errc::not_found), "close_connection: connection is not open in this manager");
    return false;
  }
  detail::ConnectionCore &core = detail::ConnectionAccess::core(*connection);
  core.close_requested.store(true);
  engine_->loop_of(core).sync(detail::ref_of(connection));
  return true;
}

bool ConnectionManager::wait_for_readers(double timeout) {
  if (!engine_->polled()) return false;
  // Negative: no limit (a year).
  const auto deadline = detail::deadline_after(timeout < 0 ? 365.0 * 24 * 3600 : timeout);
  for (;;) {
    if (engine_->is_shut_down()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    const int activity = engine_->poll(detail::millis_until(deadline));
    if (activity > 0) return true;
    if (activity < 0) engine_->wait_for_turn(deadline - now);  // another thread is turning the loop
  }
}

std::string ConnectionManager::get_host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

void ConnectionManager::scan_interfaces() {
  auto list = detail::scan_network_interfaces();
  std::lock_guard lock(interfaces_mutex_);
  interfaces_ = std::move(list);
  interfaces_scanned_ = true;
}

size_t ConnectionManager::get_num_interfaces() {
  {
    std::lock_guard lock(interfaces_mutex_);
    if (interfaces_scanned_) return interfaces_.size();
  }
  scan_interfaces();
  std::lock_guard lock(interfaces_mutex_);
  return interfaces_.size();
}

const ConnectionManager::Interface &ConnectionManager::get_interface(size_t n) {
  static const Interface empty;
  const size_t count = get_num_interfaces();
  std::lock_guard lock(interfaces_mutex_);
  if (n >= count || n >= interfaces_.size()) {
    detail::set_last_error(make_error_code(errc::invalid_argument),
                           "get_interface(" + std::to_string(n) + "): only " + std::to_string(count) + " interface(s)");
    return empty;
  }
  return interfaces_[n];
}

int ConnectionManager::get_num_threads() const { return engine_->num_threads(); }
BackendKind ConnectionManager::get_backend() const { return detail::to_backend_kind(engine_->backend_kind()); }

bool ConnectionManager::is_backend_available(BackendKind kind) {
  if (kind == BackendKind::automatic) return true;
  std::string error;
  return detail::make_backend(detail::to_backend_id(kind), detail::BackendOptions{}, &error) != nullptr;
}

void ConnectionManager::set_close_timeout(double seconds) {
  const double capped = std::isfinite(seconds) ? std::clamp(seconds, 0.0, 365.0 * 24 * 3600) : 0.0;
  engine_->set_close_timeout(std::chrono::milliseconds(static_cast<int64_t>(capped * 1000.0)));
}

void ConnectionManager::set_default_no_delay(bool flag) { engine_->set_default_no_delay(flag); }
bool ConnectionManager::get_default_no_delay() const { return engine_->default_no_delay(); }

double ConnectionManager::get_close_timeout() const { return engine_->close_timeout().count() / 1000.0; }

void ConnectionManager::set_reuse_port(bool reuse) { reuse_port_.store(reuse); }
bool ConnectionManager::get_reuse_port() const { return reuse_port_.load(); }

size_t ConnectionManager::get_num_connections() const { return engine_->num_registered(); }

ManagerStatistics ConnectionManager::get_statistics() const {
  const detail::Engine &e = *engine_;
  ManagerStatistics s;
  s.backend = detail::to_backend_kind(e.backend_kind());
  s.num_threads = e.num_threads();
  s.connections_open = e.num_registered();
  s.connections_reset = e.resets_reported();
  s.queue_drops = engine_->resets().dropped();
  s.bytes_queued = e.total_pending_output();
  for (size_t i = 0; i < e.num_loops(); ++i) {
    const detail::LoopCounters &c = e.loop_counters(i);
    const auto get = [](const std::atomic<uint64_t> &v) { return v.load(std::memory_order_relaxed); };
    s.connections_accepted += get(c.accepted);
    s.datagrams_in += get(c.datagrams_in);
    s.bytes_in += get(c.bytes_in);
    s.datagrams_out += get(c.datagrams_out);
    s.bytes_out += get(c.bytes_out);
    s.queue_drops += get(c.queue_drops);
    s.oversize_frames += get(c.oversize_frames);
    s.bad_datagrams += get(c.bad_datagrams);
    s.accept_refusals += get(c.accept_refusals);
    s.udp_send_failures += get(c.udp_send_failures);
    s.loop_turns += get(c.turns);
    s.writes += get(c.writes);
  }
  return s;
}

}  // namespace queuednet
