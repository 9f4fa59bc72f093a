/// @file
/// Public header. ConnectionListener: the listening rendezvous sockets whose new connections a
/// listener receives (Panda3D's ConnectionListener). QueuedConnectionListener adds the queue.
///
/// Accepted connections are not added to any reader automatically (as in Panda3D); they belong
/// to one of the manager's loops, chosen round-robin. num_threads has the same meaning as for
/// ConnectionReader (see connection_reader.h).
/// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>

#include "queuednet/connection.h"

namespace queuednet {

class ConnectionManager;
namespace detail {
class Engine;
struct ListenerCore;
}  // namespace detail

class ConnectionListener {
 public:
  ConnectionListener(const ConnectionListener &) = delete;
  ConnectionListener &operator=(const ConnectionListener &) = delete;
  virtual ~ConnectionListener();

  /// Starts accepting on a rendezvous from open_TCP_server_rendezvous. False (with last_error)
  /// for null, non-listening, closed or already added connections.
  bool add_connection(Connection *rendezvous);
  bool add_connection(const std::shared_ptr<Connection> &c) { return add_connection(c.get()); }
  bool remove_connection(Connection *rendezvous);
  bool remove_connection(const std::shared_ptr<Connection> &c) { return remove_connection(c.get()); }
  bool is_connection_ok(Connection *rendezvous) const;
  bool is_connection_ok(const std::shared_ptr<Connection> &c) const { return is_connection_ok(c.get()); }

  /// Polled mode: accepts (and reads) whatever is ready, without blocking. Threaded: nothing.
  void poll();
  ConnectionManager *get_manager() const;
  bool is_polling() const;
  int get_num_threads() const;
  /// queuednet: how often accepting stopped because the process ran out of descriptors (or
  /// memory). Each time, the failure is logged once, the listener retries after at most 100 ms
  /// (at once when the manager closes a connection), and the pending connections wait in the
  /// kernel's queue: none is lost. Any thread.
  uint64_t get_num_accept_refusals() const;
  /// Stops accepting on every rendezvous; queued new connections stay gettable. Idempotent.
  void shutdown();

 protected:
  ConnectionListener(ConnectionManager *manager, int num_threads, const char *name);

  std::shared_ptr<detail::Engine> engine_;
  std::shared_ptr<detail::ListenerCore> core_;
};

}  // namespace queuednet
