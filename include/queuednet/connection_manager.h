/// @file
/// Public header. ConnectionManager: opens and closes connections and owns the event loops that
/// serve them (Panda3D's ConnectionManager).
///
/// The thread count is chosen at construction: 0 = polled mode (readers and listeners do the
/// I/O on the caller's thread when polled; the one background thread is the late writer, see
/// connection_writer.h, started at the first burst of sends held), N = a pool of N worker
/// threads, each running its own event loop. Each connection belongs to one loop for its whole
/// life. The backend (io_uring, epoll, poll) is probed at construction unless forced here or by
/// the QUEUEDNET_BACKEND environment variable.
///
/// Failures return nullptr/false as in Panda3D; queuednet::last_error() on the calling thread
/// says why, and the failure is logged once.
/// Thread safety: every method may be called from any thread unless noted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "queuednet/backend_kind.h"
#include "queuednet/connection.h"
#include "queuednet/net_address.h"
#include "queuednet/network_interface.h"
#include "queuednet/statistics.h"

namespace queuednet {

namespace detail {
class Engine;
}

class ConnectionManager {
 public:
  using Interface = NetworkInterface;

  /// Throws std::system_error when `backend` (or QUEUEDNET_BACKEND) names a backend that cannot
  /// start on this machine. num_threads is clamped to [0, 256].
  explicit ConnectionManager(int num_threads = 0, BackendKind backend = BackendKind::automatic);
  /// Flushes what writers queued (bounded by the close timeout), closes every connection and
  /// joins the workers. Readers, listeners and writers may outlive it: afterwards they report
  /// nothing new and refuse new work; datagrams already queued stay gettable.
  virtual ~ConnectionManager();
  ConnectionManager(const ConnectionManager &) = delete;
  ConnectionManager &operator=(const ConnectionManager &) = delete;

  /// UDP socket bound to `port` on every interface (dual-stack), or unbound when port is 0.
  std::shared_ptr<Connection> open_UDP_connection(uint16_t port = 0);
  /// UDP socket bound to hostname:port; an empty hostname means every interface. An
  /// unresolvable hostname returns nullptr (Panda3D silently binds 0.0.0.0 instead).
  std::shared_ptr<Connection> open_UDP_connection(const std::string &hostname, uint16_t port,
                                                  bool for_broadcast = false);

  /// Listening TCP socket on every interface, dual-stack ([::] accepting IPv4 too).
  std::shared_ptr<Connection> open_TCP_server_rendezvous(uint16_t port, int backlog);
  /// Listening socket on hostname:port (empty hostname: every interface). Unresolvable → nullptr.
  std::shared_ptr<Connection> open_TCP_server_rendezvous(const std::string &hostname, uint16_t port, int backlog);
  std::shared_ptr<Connection> open_TCP_server_rendezvous(const NetAddress &address, int backlog);

  /// Connects without blocking past timeout_ms in total, trying each resolved address in turn.
  /// Blocks the caller for at most the timeout (plus name resolution for the hostname form).
  std::shared_ptr<Connection> open_TCP_client_connection(const NetAddress &address, int timeout_ms);
  std::shared_ptr<Connection> open_TCP_client_connection(const std::string &hostname, uint16_t port, int timeout_ms);

  /// Removes the connection from every reader and listener, writes what was queued for it and
  /// closes the socket once the peer has it all (bounded by the close timeout, in the
  /// background; the peer's further input is discarded meanwhile). False if it was
  /// not open in this manager (already closed, or reset). Never blocks.
  bool close_connection(const std::shared_ptr<Connection> &connection);

  /// Polled mode: runs the loop on the caller's thread, waiting up to `timeout` seconds
  /// (negative: forever) for socket activity; true if there was some. Threaded mode: returns
  /// false at once (the workers do the reading).
  bool wait_for_readers(double timeout);

  static std::string get_host_name();
  void scan_interfaces();
  size_t get_num_interfaces();
  /// Out of range → a default Interface (Panda3D indexes an empty list).
  const Interface &get_interface(size_t n);

  // queuednet additions.
  /// Worker threads (0: polled mode).
  int get_num_threads() const;
  BackendKind get_backend() const;
  /// Whether a backend can start here; `automatic` is always true. Any thread.
  static bool is_backend_available(BackendKind kind);
  /// How long closing a connection (or destroying the manager) may spend writing queued output
  /// before the rest is discarded. Default 5 seconds.
  void set_close_timeout(double seconds);
  double get_close_timeout() const;
  /// Open connections (listeners and UDP sockets included).
  size_t get_num_connections() const;
  /// A snapshot of the manager's counters (see statistics.h: eventually consistent, no lock on
  /// the per-datagram path). Any thread.
  ManagerStatistics get_statistics() const;
  /// Whether accepted and connected TCP sockets get TCP_NODELAY (default true: writes are
  /// already coalesced per drain, so Nagle's algorithm only adds latency; Panda3D leaves it
  /// off). Applies to connections opened afterwards; Connection::set_no_delay changes one.
  /// Any thread.
  void set_default_no_delay(bool flag);
  bool get_default_no_delay() const;
  /// SO_REUSEPORT on the sockets that later open_TCP_server_rendezvous and open_UDP_connection
  /// calls bind (default off, as Panda3D), so several processes or managers that all set it
  /// share one port: the kernel spreads new TCP connections, and UDP packets by sender, across
  /// them. Sockets already open keep what they had. Any thread.
  void set_reuse_port(bool reuse);
  bool get_reuse_port() const;

 protected:
  std::shared_ptr<detail::Engine> engine_;

 private:
  friend class ConnectionReader;
  friend class ConnectionListener;
  friend class ConnectionWriter;

  std::shared_ptr<Connection> adopt(int fd, Connection::Kind kind, const std::string &what);

  std::atomic<bool> reuse_port_{false};
  std::mutex interfaces_mutex_;
  bool interfaces_scanned_ = false;
  std::vector<Interface> interfaces_;
};

}  // namespace queuednet
