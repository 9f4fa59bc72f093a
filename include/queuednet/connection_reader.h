/// @file
/// Public header. ConnectionReader: the connections whose incoming datagrams a reader receives,
/// and how it frames them (Panda3D's ConnectionReader). QueuedConnectionReader adds the queue.
///
/// Thread count: the manager's thread count decides who reads. A reader constructed with
/// num_threads > 0 on a polled manager that has not opened a connection yet switches the
/// manager to that many workers (logged); if the manager already has connections, the request
/// is refused with a warning and last_error() set, and the reader stays polling — check
/// is_polling(). On a threaded manager a reader built with 0 threads is served by the workers.
///
/// Thread safety: every method may be called from any thread. In polled mode poll() turns the
/// manager's loop on the caller's thread; concurrent pollers do not block each other (one
/// turns the loop, the others return at once).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "queuednet/connection.h"

namespace queuednet {

class ConnectionManager;
namespace detail {
class Engine;
struct ReaderCore;
}  // namespace detail

class ConnectionReader {
 public:
  ConnectionReader(const ConnectionReader &) = delete;
  ConnectionReader &operator=(const ConnectionReader &) = delete;
  /// Stops reading every member connection (shutdown()).
  virtual ~ConnectionReader();

  /// Starts receiving datagrams from a TCP stream or UDP connection. False (with last_error)
  /// if null, already in this or another reader, a listening socket, closed, or after shutdown.
  bool add_connection(Connection *connection);
  bool add_connection(const std::shared_ptr<Connection> &c) { return add_connection(c.get()); }
  /// Stops receiving from it; bytes of a partial frame are kept for a later add. Once it has
  /// returned true, no further datagram from that connection reaches this reader (queued ones
  /// stay). False if unknown.
  bool remove_connection(Connection *connection);
  bool remove_connection(const std::shared_ptr<Connection> &c) { return remove_connection(c.get()); }
  /// True while the connection is in this reader, open, and not reset (closed by its peer).
  bool is_connection_ok(Connection *connection) const;
  bool is_connection_ok(const std::shared_ptr<Connection> &c) const { return is_connection_ok(c.get()); }

  /// Polled mode: reads whatever is ready on every connection of the manager, without blocking.
  /// Threaded mode: does nothing.
  void poll();
  /// nullptr once the manager is destroyed.
  ConnectionManager *get_manager() const;
  bool is_polling() const;
  /// The manager's worker count (0 when polling).
  int get_num_threads() const;

  /// Raw mode: TCP bytes are delivered as they arrive and UDP packets have no checksum header.
  void set_raw_mode(bool mode);
  bool get_raw_mode() const;
  /// 2 (default) or 4 bytes of little-endian length before each TCP datagram, or 0 for an
  /// unframed stream (each arrival is a datagram). Other values are refused (false, last_error).
  bool set_tcp_header_size(int size);
  int get_tcp_header_size() const;
  /// queuednet: the largest datagram accepted (default 16 MiB; a 2-byte header caps at 65535).
  /// A frame announcing more closes that connection and reports a reset.
  void set_max_datagram_size(size_t size);
  size_t get_max_datagram_size() const;
  /// queuednet: UDP packets dropped as short or with a bad checksum.
  uint64_t get_num_bad_datagrams() const;
  /// queuednet: connections closed because a frame announced more than the maximum size.
  uint64_t get_num_oversize_frames() const;
  /// queuednet: datagrams and bytes this reader received (queued, or dropped by a full queue).
  uint64_t get_num_datagrams_received() const;
  uint64_t get_num_bytes_received() const;

  /// queuednet: the input budget of each connection: how many datagrams, and bytes, it may have
  /// in this reader's queue not yet taken by get_data(). Past either, the loop stops reading the
  /// connection (TCP then pushes back on the sender) until the application has taken it below
  /// half the budget; every other connection keeps its share meanwhile. Bytes already read are
  /// kept, never dropped. Defaults: 1024 datagrams, 1 MiB. Any thread.
  void set_input_budget(size_t max_datagrams, size_t max_bytes);
  size_t get_input_budget_datagrams() const;
  size_t get_input_budget_bytes() const;

  /// Fault injection for tests (Panda3D's start_delay/stop_delay, compiled in, off by default):
  /// each datagram received from now on becomes available after a random delay between
  /// min_delay and max_delay seconds; a connection's datagrams (and its reset report) keep
  /// their order. stop_delay() affects datagrams received afterwards. Any thread.
  void start_delay(double min_delay, double max_delay);
  void stop_delay();
  /// Fault injection: drop each UDP packet received with this probability (0 = off, 1 = all),
  /// counted in get_num_udp_dropped(). Any thread.
  void set_udp_drop_probability(double probability);
  uint64_t get_num_udp_dropped() const;

  /// Removes every connection from this reader; queued datagrams stay gettable. Idempotent.
  void shutdown();

 protected:
  ConnectionReader(ConnectionManager *manager, int num_threads, const char *name);

  std::shared_ptr<detail::Engine> engine_;
  std::shared_ptr<detail::ReaderCore> core_;
};

}  // namespace queuednet
