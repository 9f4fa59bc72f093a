// Internal. See readiness_io.h.
#include "backends/readiness_io.h"

#include <sys/socket.h>

#include <cerrno>

namespace queuednet::detail {

// One receive buffer per loop: 64 KiB holds any UDP datagram.
ReadinessIo::ReadinessIo() : buffer_(65536) {}

bool is_resource_exhaustion(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

Drain ReadinessIo::accept_all(uint64_t id, int fd, BackendEvents &events) {
  for (int i = 0; i < kReadsPerTurn * 4; ++i) {
    const int c = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      if (!events.on_accept(id, c)) return Drain::stopped;
      continue;
    }
    const int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) return Drain::idle;
    // A connection that died in the backlog, or a signal: not fatal to the listener.
    if (err == ECONNABORTED || err == EINTR || err == EPROTO) continue;
    if (is_resource_exhaustion(err)) {
      events.on_accept_refused(id, err);
      return Drain::stopped;
    }
    events.on_read_closed(id, err);
    return Drain::stopped;
  }
  return Drain::more;
}

Drain ReadinessIo::receive(uint64_t id, int fd, ChannelKind kind, bool peer_closed, BackendEvents &events) {
  const bool dgram = kind == ChannelKind::datagram;
  for (int i = 0; i < kReadsPerTurn; ++i) {
    sockaddr_storage from;
    socklen_t from_len = sizeof from;
    const ssize_t n = dgram ? ::recvfrom(fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT,
                                         reinterpret_cast<sockaddr *>(&from), &from_len)
                            : ::recv(fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n > 0 || (n == 0 && dgram)) {
      // A 0-byte UDP datagram is a datagram, not a close (Panda3D closes the socket here).
      // The callback may close the channel: then `fd` is no longer ours to read.
      if (!events.on_data(id, buffer_.data(), static_cast<size_t>(n),
                          dgram ? reinterpret_cast<const sockaddr *>(&from) : nullptr, dgram ? from_len : 0)) {
        return Drain::stopped;
      }
      if (!dgram && !peer_closed && static_cast<size_t>(n) < buffer_.size()) return Drain::idle;
      continue;
    }
    if (n == 0) {
      events.on_read_closed(id, 0);
      return Drain::stopped;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Drain::idle;
    if (errno == EINTR) continue;
    if (dgram) continue;  // ICMP errors (ECONNREFUSED...) do not end a UDP socket
    events.on_read_closed(id, errno);
    return Drain::stopped;
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
