/// @file
/// Public header. Counters of a manager and of one connection, returned as plain structs by
/// ConnectionManager::get_statistics() and Connection::get_statistics().
///
/// The counters are kept without locks on the per-datagram path: each event loop counts what it
/// does, writers count under the connection's lock they already take, and a snapshot adds them
/// up. A snapshot is therefore eventually consistent: taken while traffic flows, its fields may
/// come from slightly different instants (a datagram sent but not yet handed to its loop is in
/// the connection's counters before the manager's).
/// Thread safety: plain values; take a snapshot from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "queuednet/backend_kind.h"

namespace queuednet {

struct ConnectionStatistics {
  uint64_t datagrams_in = 0;       ///< delivered to the connection's reader (or its delay line)
  uint64_t bytes_in = 0;           ///< their payload bytes
  uint64_t datagrams_out = 0;      ///< accepted by send()
  uint64_t bytes_out = 0;          ///< their framed bytes (headers included)
  size_t bytes_queued = 0;         ///< accepted and not yet taken by the kernel, now
  uint64_t datagrams_dropped = 0;  ///< refused by a full reader queue, or UDP packets the kernel refused
};

struct ManagerStatistics {
  BackendKind backend = BackendKind::automatic;
  int num_threads = 0;
  uint64_t connections_open = 0;      ///< registered now: listeners, UDP sockets and streams
  uint64_t connections_accepted = 0;  ///< by every listener, since the manager was made
  uint64_t connections_reset = 0;     ///< reported through the reset queue (each once)
  uint64_t datagrams_in = 0;          ///< delivered to readers
  uint64_t bytes_in = 0;
  uint64_t datagrams_out = 0;         ///< handed to the loops by send() (see above)
  uint64_t bytes_out = 0;
  size_t bytes_queued = 0;            ///< accepted by writers, not yet taken by the kernel, now
  uint64_t queue_drops = 0;           ///< datagrams, new connections and resets refused by full queues
  uint64_t oversize_frames = 0;       ///< connections closed for announcing too large a datagram
  uint64_t bad_datagrams = 0;         ///< UDP packets dropped as short or with a bad checksum
  uint64_t accept_refusals = 0;       ///< times accepting paused for lack of descriptors
  uint64_t udp_send_failures = 0;     ///< UDP packets the kernel refused (each socket logs only its first)
  uint64_t loop_turns = 0;            ///< turns the loops have taken (each one backend wait, which may not block)
  uint64_t writes = 0;                ///< stream writes and UDP sendmmsg calls (each one system call or io_uring request)
};

}  // namespace queuednet
