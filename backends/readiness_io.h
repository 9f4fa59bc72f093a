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
enum class Drain { idle, more, closed };

class ReadinessIo {
 public:
  ReadinessIo();
  // Accepts until EAGAIN or the cap.
  Drain accept_all(uint64_t id, int fd, BackendEvents &events);
  // Receives until EAGAIN, EOF/error (reported) or the cap. A stream read shorter than the
  // buffer means the socket is empty, so it stops there unless `peer_closed` (the kernel
  // reported RDHUP/HUP), in which case it reads on to observe the EOF.
  Drain receive(uint64_t id, int fd, ChannelKind kind, bool peer_closed, BackendEvents &events);
  static ssize_t send(int fd, const unsigned char *data, size_t size);

 private:
  std::vector<unsigned char> buffer_;
};

}  // namespace queuednet::detail
