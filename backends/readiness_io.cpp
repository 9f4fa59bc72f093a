// Internal. See readiness_io.h.
#include "backends/readiness_io.h"

#include <sys/socket.h>

#include <cerrno>

namespace queuednet::detail {

// One receive buffer per loop: 64 KiB holds any UDP datagram.
ReadinessIo::ReadinessIo() : buffer_(65536) {}

Drain ReadinessIo::accept_all(uint64_t id, int fd, BackendEvents &events) {
  for (int i = 0; i < kReadsPerTurn * 4; ++i) {
    const int c = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      events.on_accept(id, c);
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Drain::idle;
    // A connection that died in the backlog, or a signal: not fatal to the listener.
    if (errno == ECONNABORTED || errno == EINTR || errno == EPROTO) continue;
    // Out of descriptors or memory: stop for this turn and try again on the next one.
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) return Drain::idle;
    events.on_read_closed(id, errno);
    return Drain::closed;
  }
  return Drain::more;
}

Drain ReadinessIo::receive(uint64_t id, int fd, ChannelKind kind, bool peer_closed, BackendEvents &events) {
  for (int i = 0; i < kReadsPerTurn; ++i) {
    sockaddr_storage from;
    socklen_t from_len = sizeof from;
    const bool dgram = kind == ChannelKind::datagram;
    const ssize_t n = dgram ? ::recvfrom(fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT,
                                         reinterpret_cast<sockaddr *>(&from), &from_len)
                            : ::recv(fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n > 0 || (n == 0 && dgram)) {
      // A 0-byte UDP datagram is a datagram, not a close (Panda3D closes the socket here).
      events.on_data(id, buffer_.data(), static_cast<size_t>(n),
                     dgram ? reinterpret_cast<const sockaddr *>(&from) : nullptr, dgram ? from_len : 0);
      if (!dgram && !peer_closed && static_cast<size_t>(n) < buffer_.size()) return Drain::idle;
      continue;
    }
    if (n == 0) {
      events.on_read_closed(id, 0);
      return Drain::closed;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Drain::idle;
    if (errno == EINTR) continue;
    if (dgram) continue;  // ICMP errors (ECONNREFUSED...) do not end a UDP socket
    events.on_read_closed(id, errno);
    return Drain::closed;
  }
  return Drain::more;
}

ssize_t ReadinessIo::send(int fd, const unsigned char *data, size_t size) {
  for (;;) {
    const ssize_t n = ::send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return -errno;
  }
}

}  // namespace queuednet::detail
