/// @file
/// Public header. Connection: one socket (TCP stream, TCP listening rendezvous, or UDP) opened
/// through a ConnectionManager. Shared ownership: PT(Connection) in Panda3D is
/// std::shared_ptr<Connection> here, and PointerToConnection adds p() for the manual's
/// out-parameter style.
///
/// A connection belongs to exactly one event loop of its manager for its whole life; all its
/// I/O happens there. Thread safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <memory>

#include "queuednet/net_address.h"
#include "queuednet/statistics.h"

namespace queuednet {

class ConnectionManager;
class ConnectionReader;
class ConnectionListener;
class ConnectionWriter;
namespace detail {
struct ConnectionCore;
struct ConnectionAccess;
}  // namespace detail

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class Kind { tcp_stream, tcp_listener, udp };

  ~Connection();
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  /// TCP stream: the peer's address (IPv4 peers of dual-stack listeners appear as IPv4, not
  /// ::ffff:a.b.c.d). Listener and UDP: the local bound address (Panda3D returns an invalid,
  /// family-0 address there). Returned by value, as Panda3D's. Any thread.
  NetAddress get_address() const;
  /// The manager that opened it; nullptr once the manager is destroyed. Any thread.
  ConnectionManager *get_manager() const;
  Kind get_kind() const;
  /// The socket descriptor (-1 once closed). Any thread.
  int get_fd() const;
  /// False once the socket is closed: by a reset, the manager's shutdown, or close_connection,
  /// which closes it in the background once the peer has the queued output (bounded by the
  /// close timeout). Any thread.
  bool is_open() const;
  /// Bytes handed to writers and not yet taken by the kernel. Any thread.
  size_t get_pending_output() const;
  /// A snapshot of this connection's counters (see statistics.h). Any thread.
  ConnectionStatistics get_statistics() const;

  /// Socket options; each returns false (reason in last_error()) if the option does not apply
  /// or the call fails. Any thread.
  bool set_no_delay(bool flag);                   ///< TCP_NODELAY; TCP streams only
  bool set_linger(bool flag, double seconds);     ///< SO_LINGER; TCP streams only
  bool set_reuse_addr(bool flag);                 ///< SO_REUSEADDR
  bool set_keep_alive(bool flag);                 ///< SO_KEEPALIVE (a no-op in Panda3D)
  bool set_recv_buffer_size(int size);            ///< SO_RCVBUF
  bool set_send_buffer_size(int size);            ///< SO_SNDBUF

  /// collect-tcp: hold small sends and write them together once `interval` seconds have
  /// passed since the last write (at the next send, consider_flush() or flush()). Any thread.
  void set_collect_tcp(bool flag);
  bool get_collect_tcp() const;
  void set_collect_tcp_interval(double interval);
  double get_collect_tcp_interval() const;
  /// Flushes held data if collect-tcp is off or the interval has passed. Returns false if the
  /// connection is closed. Never blocks. Any thread.
  bool consider_flush();
  /// Hands every held byte to the connection's loop now. Polled mode: written before return as
  /// far as the socket takes it (the rest goes out on later polls). Threaded mode: the worker
  /// writes it. Returns false if the connection is closed. Never blocks. Any thread.
  bool flush();

 private:
  friend struct detail::ConnectionAccess;

  explicit Connection(std::unique_ptr<detail::ConnectionCore> core);
  detail::ConnectionCore &core() const { return *core_; }

  std::unique_ptr<detail::ConnectionCore> core_;
};

/// Panda3D's PT(Connection): a shared_ptr with the rest of PointerTo's surface that ported code
/// calls (p(), is_null(), clear(), comparison with a Connection *), so Panda3D code compiles once
/// `#define PT(type) PointerTo##type` is in scope. Thread safety: as std::shared_ptr (distinct
/// objects from any thread; one object not thread safe); the methods below, any thread.
class PointerToConnection : public std::shared_ptr<Connection> {
 public:
  using std::shared_ptr<Connection>::shared_ptr;
  PointerToConnection() = default;
  PointerToConnection(std::shared_ptr<Connection> c) : std::shared_ptr<Connection>(std::move(c)) {}
  /// From a raw pointer, as Panda3D's `PT(Connection) p = connection;`: shares the existing
  /// ownership (every Connection is owned by a shared_ptr), never takes a second one. Null if
  /// `c` is null or already being destroyed.
  PointerToConnection(Connection *c)
      : std::shared_ptr<Connection>(c == nullptr ? nullptr : c->weak_from_this().lock()) {}
  PointerToConnection &operator=(Connection *c) { return *this = PointerToConnection(c); }

  /// The raw pointer, as Panda3D's p().
  Connection *p() const { return get(); }
  bool is_null() const { return get() == nullptr; }
  /// Drops the reference (the pointer becomes null).
  void clear() { reset(); }

  friend bool operator==(const PointerToConnection &a, const Connection *b) { return a.get() == b; }
  friend bool operator==(const PointerToConnection &a, std::nullptr_t) { return a.get() == nullptr; }
};

}  // namespace queuednet
