// Internal. See socket_ops.h.
#include "engine/socket_ops.h"

#include <netinet/in.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace queuednet::detail {
namespace {

std::error_code last_errno() { return {errno, std::generic_category()}; }

SocketAddress address_from(int fd, bool peer) {
  sockaddr_storage s{};
  socklen_t len = sizeof s;
  const int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr *>(&s), &len)
                      : ::getsockname(fd, reinterpret_cast<sockaddr *>(&s), &len);
  if (rc != 0) return SocketAddress();
  return SocketAddress(reinterpret_cast<sockaddr *>(&s), len);
}

sockaddr_in6 mapped(const SocketAddress &v4addr) {
  sockaddr_in6 a6{};
  a6.sin6_family = AF_INET6;
  a6.sin6_port = htons(static_cast<uint16_t>(v4addr.port()));
  a6.sin6_addr.s6_addr[10] = 0xff;
  a6.sin6_addr.s6_addr[11] = 0xff;
  std::memcpy(a6.sin6_addr.s6_addr + 12, &reinterpret_cast<const sockaddr_in *>(v4addr.get())->sin_addr, 4);
  return a6;
}

sockaddr_in6 any6(int port) {
  sockaddr_in6 a6{};
  a6.sin6_family = AF_INET6;
  a6.sin6_port = htons(static_cast<uint16_t>(port));
  a6.sin6_addr = in6addr_any;
  return a6;
}

// Options set before bind: SO_REUSEADDR on listeners (as Panda3D), SO_REUSEPORT when asked.
bool set_bind_options(int fd, int type, bool reuse_port, std::error_code &ec) {
  const int on = 1;
  if (type == SOCK_STREAM) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    ec = last_errno();
    return false;
  }
  return true;
}

// Binds a fresh socket of `type` to [::]:port (dual-stack) or, where IPv6 is off, 0.0.0.0:port.
int bind_any(int type, int port, bool reuse_port, std::error_code &ec) {
  int fd = ::socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    const int off = 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    const sockaddr_in6 a6 = any6(port);
    if (set_bind_options(fd, type, reuse_port, ec) &&
        ::bind(fd, reinterpret_cast<const sockaddr *>(&a6), sizeof a6) == 0) {
      return fd;
    }
    if (!ec) ec = last_errno();
    ::close(fd);
    if (ec.value() != EADDRNOTAVAIL && ec.value() != EAFNOSUPPORT) return -1;
    ec.clear();
  }
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_ANY);
  any.sin_port = htons(static_cast<uint16_t>(port));
  fd = ::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = last_errno();
    return -1;
  }
  if (!set_bind_options(fd, type, reuse_port, ec) || ::bind(fd, reinterpret_cast<const sockaddr *>(&any), sizeof any) != 0) {
    if (!ec) ec = last_errno();
    ::close(fd);
    return -1;
  }
  return fd;
}

int bind_to(int type, const SocketAddress &addr, bool reuse_port, std::error_code &ec) {
  const int fd = ::socket(addr.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = last_errno();
    return -1;
  }
  if (!set_bind_options(fd, type, reuse_port, ec) || ::bind(fd, addr.get(), addr.length()) != 0) {
    if (!ec) ec = last_errno();
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

SocketAddress peer_address(int fd) { return address_from(fd, true); }
SocketAddress local_address(int fd) { return address_from(fd, false); }

int open_tcp_listener(const SocketAddress &addr, bool dual_stack, int backlog, bool reuse_port, std::error_code &ec) {
  const int fd = dual_stack ? bind_any(SOCK_STREAM, addr.port(), reuse_port, ec)
                            : bind_to(SOCK_STREAM, addr, reuse_port, ec);
  if (fd < 0) return -1;
  if (::listen(fd, backlog > 0 ? backlog : SOMAXCONN) != 0) {
    ec = last_errno();
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_tcp(const SocketAddress &addr, int timeout_ms, std::error_code &ec) {
  const int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = last_errno();
    return -1;
  }
  if (::connect(fd, addr.get(), addr.length()) == 0) return fd;
  if (errno != EINPROGRESS) {
    ec = last_errno();
    ::close(fd);
    return -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLOUT, 0};
    const int n = ::poll(&p, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) return fd;
      ec = {err, std::generic_category()};
    } else {
      ec = {ETIMEDOUT, std::generic_category()};
    }
    ::close(fd);
    return -1;
  }
}

int open_udp(const SocketAddress *addr, int port, bool for_broadcast, bool reuse_port, std::error_code &ec) {
  int fd;
  if (addr != nullptr) {
    fd = bind_to(SOCK_DGRAM, *addr, reuse_port, ec);
  } else {
    fd = bind_any(SOCK_DGRAM, port, reuse_port, ec);  // port 0: unbound in Panda3D; an ephemeral port is equivalent
  }
  if (fd >= 0 && for_broadcast) {
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
  }
  return fd;
}

socklen_t destination_for(const SocketAddress &to, int socket_family, sockaddr_in6 &out) {
  if (socket_family == AF_INET6 && to.family() == AF_INET) {
    out = mapped(to);
    return sizeof(sockaddr_in6);
  }
  out = to.raw();
  return to.length();
}

bool set_int_option(int fd, int level, int name, int value, std::error_code &ec) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    ec = last_errno();
    return false;
  }
  return true;
}

void discard_input(int fd) {
  char sink[65536];
  for (int i = 0; i < 64 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
}

size_t unread_bytes(int fd) {
  int n = 0;
  if (::ioctl(fd, SIOCINQ, &n) != 0 || n < 0) return 0;
  return static_cast<size_t>(n);
}

size_t unacknowledged_bytes(int fd) {
  int n = 0;
  if (::ioctl(fd, SIOCOUTQ, &n) != 0 || n < 0) return 0;
  return static_cast<size_t>(n);
}

}  // namespace queuednet::detail
