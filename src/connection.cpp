// Internal. Connection: socket options and flushing; the I/O itself lives in its event loop.
#include "queuednet/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine_bridge.h"
#include "engine/engine.h"
#include "engine/event_loop.h"
#include "engine/socket_ops.h"
#include "error_record.h"

namespace queuednet {

Connection::Connection(std::unique_ptr<detail::ConnectionCore> core)
    : core_(std::move(core)) {}

detail::ConnectionRef detail::wrap_in_handle(std::unique_ptr<ConnectionCore> core) {
  ConnectionCore &c = *core;
  auto handle = std::allocate_shared<Connection>(HandleAllocator<Connection>{}, std::move(core));
  c.handle = handle.get();
  return ConnectionRef(std::move(handle), &c);
}

detail::ConnectionRef detail::ConnectionCore::ref() const {
  return ConnectionRef(handle->shared_from_this(), const_cast<ConnectionCore *>(this));
}

Connection::~Connection() {
  // Reached only when no loop holds it any more; a socket never attached to a loop is closed here.
  const int fd = core_->fd.exchange(-1);
  if (fd >= 0) ::close(fd);
}

NetAddress Connection::get_address() const { return detail::net_address(core_->address); }

ConnectionManager *Connection::get_manager() const {
  auto engine = core_->engine.lock();
  return engine ? engine->manager() : nullptr;
}

Connection::Kind Connection::get_kind() const { return detail::connection_kind(core_->kind); }
int Connection::get_fd() const { return core_->fd.load(); }
bool Connection::is_open() const { return core_->fd.load() >= 0; }
size_t Connection::get_pending_output() const { return core_->queued_bytes(); }

ConnectionStatistics Connection::get_statistics() const {
  ConnectionStatistics s;
  s.datagrams_in = core_->datagrams_in.load(std::memory_order_relaxed);
  s.bytes_in = core_->bytes_in.load(std::memory_order_relaxed);
  s.datagrams_dropped = core_->datagrams_dropped.load(std::memory_order_relaxed);
  s.bytes_queued = core_->queued_bytes();
  s.datagrams_out = core_->datagrams_out.load(std::memory_order_relaxed);
  s.bytes_out = core_->bytes_out.load(std::memory_order_relaxed);
  return s;
}

namespace {

bool set_option(detail::ConnectionCore &core, bool stream_only, const char *what, int level, int name, int value) {
  if (stream_only && core.kind != detail::ChannelKind::stream) {
    detail::set_last_error(make_error_code(errc::wrong_connection_kind),
                           std::string(what) + " applies to TCP stream connections only");
    return false;
  }
  std::lock_guard lock(core.output_lock);  // the loop retires the fd under this lock, closing it after
  const int fd = core.fd.load();
  if (fd < 0) {
    detail::set_last_error(make_error_code(errc::connection_closed), std::string(what) + " on a closed connection");
    return false;
  }
  std::error_code ec;
  if (!detail::set_int_option(fd, level, name, value, ec)) {
    detail::set_last_error(ec, std::string(what) + " failed");
    return false;
  }
  return true;
}

}  // namespace

bool Connection::set_no_delay(bool flag) { return set_option(*core_, true, "set_no_delay", IPPROTO_TCP, TCP_NODELAY, flag); }

bool Connection::set_linger(bool flag, double seconds) {
  if (core_->kind != detail::ChannelKind::stream) {
    detail::set_last_error(make_error_code(errc::wrong_connection_kind), "set_linger applies to TCP stream connections only");
    return false;
  }
  std::lock_guard lock(core_->output_lock);
  const int fd = core_->fd.load();
  linger l{flag ? 1 : 0, static_cast<int>(seconds)};
  if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) {
    detail::set_last_error(fd < 0 ? make_error_code(errc::connection_closed) : detail::errno_code(errno), "set_linger failed");
    return false;
  }
  return true;
}

bool Connection::set_reuse_addr(bool flag) { return set_option(*core_, false, "set_reuse_addr", SOL_SOCKET, SO_REUSEADDR, flag); }
bool Connection::set_keep_alive(bool flag) { return set_option(*core_, true, "set_keep_alive", SOL_SOCKET, SO_KEEPALIVE, flag); }
bool Connection::set_recv_buffer_size(int size) { return set_option(*core_, false, "set_recv_buffer_size", SOL_SOCKET, SO_RCVBUF, size); }
bool Connection::set_send_buffer_size(int size) { return set_option(*core_, false, "set_send_buffer_size", SOL_SOCKET, SO_SNDBUF, size); }

void Connection::set_collect_tcp(bool flag) {
  std::lock_guard lock(core_->output_lock);
  if (!flag && !core_->collect) return;  // off already: nothing to make
  core_->collect_settings().on = flag;
}

bool Connection::get_collect_tcp() const {
  std::lock_guard lock(core_->output_lock);
  return core_->collect && core_->collect->on;
}

void Connection::set_collect_tcp_interval(double interval) {
  std::lock_guard lock(core_->output_lock);
  core_->collect_settings().interval = interval;
}

double Connection::get_collect_tcp_interval() const {
  std::lock_guard lock(core_->output_lock);
  return core_->collect ? core_->collect->interval : detail::CollectTcp{}.interval;
}

bool Connection::consider_flush() {
  {
    std::lock_guard lock(core_->output_lock);
    if (core_->collect && core_->collect->holds(std::chrono::steady_clock::now())) return is_open();
  }
  return flush();
}

bool Connection::flush() {
  auto engine = core_->engine.lock();
  if (!engine || !is_open()) {
    detail::set_last_error_quiet(make_error_code(errc::connection_closed), "flush on a closed connection");
    return false;
  }
  {
    std::lock_guard lock(core_->output_lock);
    if (core_->collect) core_->collect->on_flush();
    core_->sync_queued = true;
  }
  engine->loop_of(*core_).flush(detail::ref_of(shared_from_this()));
  return is_open();
}

}  // namespace queuednet
