/// @file
/// Public header. QueuedConnectionListener: new connections wait in a bounded lock-free queue
/// (Panda3D's QueuedConnectionListener).
///
/// Thread safety: any number of threads may call new_connection_available()/get_new_connection()
/// at once; each new connection reaches exactly one caller. When the queue is full the new
/// connection is closed and counted (Panda3D leaves it open and unreported).
#pragma once

#include <cstdint>

#include "queuednet/connection_listener.h"
#include "queuednet/net_address.h"

namespace queuednet {

class QueuedConnectionListener : public ConnectionListener {
 public:
  QueuedConnectionListener(ConnectionManager *manager, int num_threads);
  ~QueuedConnectionListener() override;

  /// True if a new connection is queued; in polled mode polls first (never blocks), unless
  /// the loop polled since this queue was last found empty, under 1 ms ago (as
  /// QueuedConnectionReader::data_available). Any thread.
  bool new_connection_available();
  /// queuednet: waits up to `timeout` seconds for a new connection; as
  /// QueuedConnectionReader::wait_for_data.
  bool wait_for_connection(double timeout);
  /// Pops the oldest: the rendezvous it arrived on, the client's address, the new connection.
  /// False (arguments untouched) when none.
  bool get_new_connection(std::shared_ptr<Connection> &rendezvous, NetAddress &address,
                          std::shared_ptr<Connection> &new_connection);
  bool get_new_connection(std::shared_ptr<Connection> &new_connection);

  /// Bound of the queue (default 50000).
  void set_max_queue_size(int max_size);
  int get_max_queue_size() const;
  int get_current_queue_size() const;
  bool get_overflow_flag() const;
  void reset_overflow_flag();
  /// queuednet: new connections closed because the queue was full.
  uint64_t get_num_dropped() const;

  /// queuednet: a descriptor for a foreign event loop, readable while a new connection is
  /// queued; as QueuedConnectionReader::get_readiness_fd, with new_connection_available() and
  /// get_new_connection() in place of data_available() and get_data().
  int get_readiness_fd();
};

}  // namespace queuednet
