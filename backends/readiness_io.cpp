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
  if (kind == ChannelKind::datagram) return receive_datagrams(id, fd, events);
  for (int i = 0; i < kReadsPerTurn; ++i) {
    const ssize_t n = ::recv(fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n > 0) {
      // The callback may close the channel: then `fd` is no longer ours to read.
      if (!events.on_data(id, buffer_.data(), static_cast<size_t>(n), nullptr, 0)) return Drain::stopped;
      if (!peer_closed && static_cast<size_t>(n) < buffer_.size()) return Drain::idle;
      continue;
    }
    if (n == 0) {
      events.on_read_closed(id, 0);
      return Drain::stopped;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Drain::idle;
    if (errno == EINTR) continue;
    events.on_read_closed(id, errno);
    return Drain::stopped;
  }
  return Drain::more;
}

Drain ReadinessIo::receive_datagrams(uint64_t id, int fd, BackendEvents &events) {
  constexpr size_t kSlot = 65536;  // any UDP packet fits
  if (datagram_buffer_.empty()) datagram_buffer_.resize(kDatagramBatch * kSlot);
  for (int round = 0; round < kDatagramReadsPerTurn; ++round) {
    for (unsigned i = 0; i < kDatagramBatch; ++i) {
      slots_[i] = iovec{datagram_buffer_.data() + i * kSlot, kSlot};
      messages_[i] = mmsghdr{};
      messages_[i].msg_hdr.msg_name = &senders_[i];
      messages_[i].msg_hdr.msg_namelen = sizeof senders_[i];
      messages_[i].msg_hdr.msg_iov = &slots_[i];
      messages_[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(fd, messages_, kDatagramBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Drain::idle;
      continue;  // EINTR, or an ICMP error (ECONNREFUSED...): it does not end a UDP socket
    }
    // Every packet read is reported, even after the loop stopped reading (they left the
    // socket already); only the socket is not read again. A 0-byte packet is a datagram, not
    // a close (Panda3D closes the socket on one).
    bool keep = true;
    for (int i = 0; i < n; ++i) {
      keep = events.on_data(id, static_cast<const unsigned char *>(slots_[i].iov_base), messages_[i].msg_len,
                            reinterpret_cast<const sockaddr *>(&senders_[i]), messages_[i].msg_hdr.msg_namelen) &&
             keep;
    }
    if (!keep) return Drain::stopped;
    if (static_cast<unsigned>(n) < kDatagramBatch) return Drain::idle;
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
