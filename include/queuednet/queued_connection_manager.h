/// @file
/// Public header. QueuedConnectionManager: a ConnectionManager that reports connections lost
/// (peer closed, error, oversized frame, slow consumer) through a queue.
///
/// Each lost connection is reported exactly once, after every datagram it delivered before the
/// loss is in its reader's queue; the socket is already closed when it is reported.
/// Thread safety: every method may be called from any thread; each report reaches exactly one
/// caller of get_reset_connection.
#pragma once

#include "queuednet/connection_manager.h"

namespace queuednet {

class QueuedConnectionManager : public ConnectionManager {
 public:
  explicit QueuedConnectionManager(int num_threads = 0, BackendKind backend = BackendKind::automatic)
      : ConnectionManager(num_threads, backend) {}
  /// Closes the reset queue's readiness descriptor, then shuts down as ~ConnectionManager.
  ~QueuedConnectionManager() override;

  /// True if a reset report is waiting. A hint: another thread may take it first. Reads
  /// nothing; when it returns false, output that send() queued is written (see
  /// connection_writer.h). Any thread.
  bool reset_connection_available() const;
  /// Pops the oldest report into `connection`; false (connection untouched) when none.
  bool get_reset_connection(std::shared_ptr<Connection> &connection);

  /// Bound of the reset queue (default 50000, Panda3D's net-max-response-queue). When full the
  /// newest report is dropped and the overflow flag set.
  void set_max_queue_size(int max_size);
  int get_max_queue_size() const;
  int get_current_queue_size() const;
  bool get_overflow_flag() const;
  void reset_overflow_flag();

  /// queuednet: a descriptor for a foreign event loop, readable while a reset report is
  /// queued; as QueuedConnectionReader::get_readiness_fd, with reset_connection_available() and
  /// get_reset_connection(), which do not turn the loop: in polled mode, when it fires, turn it
  /// first (a reader's or listener's poll() or *_available()).
  int get_readiness_fd();
};

}  // namespace queuednet
