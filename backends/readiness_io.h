// Internal. The socket I/O that readiness backends (epoll, poll) perform when the kernel says a
// socket is ready: accept, receive, send. Shared so both report events identically.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "backends/backend.h"

namespace queuednet::detail {

// Reads per ready socket before moving on to the others (fairness); the backend comes back to
// a socket that hit the cap without waiting.
inline constexpr int kReadsPerTurn = 16;

// Outcome of draining a socket.
enum class Drain {
  idle,     // nothing more to read now
  more,     // the cap was reached: come back without waiting
  stopped,  // the loop stopped reading it (or closed it): do not touch the descriptor again
};

class ReadinessIo {
 public:
  ReadinessIo();
  // Accepts until EAGAIN, the cap, or the loop stops accepting. Running out of descriptors or
  // memory is reported through on_accept_refused and returns `stopped`.
  Drain accept_all(uint64_t id, int fd, BackendEvents &events);
  // Receives until EAGAIN, EOF/error (reported, `stopped`), the cap, or the loop stops reading.
  // A stream read shorter than the buffer means the socket is empty, so it stops there unless
  // `peer_closed` (the kernel reported RDHUP/HUP), in which case it reads on to observe the EOF.
  Drain receive(uint64_t id, int fd, ChannelKind kind, bool peer_closed, BackendEvents &events);
  static ssize_t send(int fd, const unsigned char *data, size_t size);

 private:
  std::vector<unsigned char> buffer_;
};

// True for the accept errors that mean "out of descriptors or memory": back off, keep the
// pending connections.
bool is_resource_exhaustion(int error);

}  // namespace queuednet::detail
