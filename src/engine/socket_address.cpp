// Internal. See socket_address.h.
#include "engine/socket_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace queuednet::detail {

SocketAddress::SocketAddress() { v6_.sin6_family = AF_INET; }

SocketAddress::SocketAddress(const sockaddr *addr, socklen_t len) {
  auto *v4 = reinterpret_cast<sockaddr_in *>(&v6_);
  v4->sin_family = AF_INET;
  if (addr == nullptr) return;
  if (addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(v4, addr, sizeof(sockaddr_in));
  } else if (addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto *a6 = reinterpret_cast<const sockaddr_in6 *>(addr);
    if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
      v4->sin_port = a6->sin6_port;
      std::memcpy(&v4->sin_addr, a6->sin6_addr.s6_addr + 12, 4);
    } else {
      v6_ = *a6;
    }
  }
}

std::string SocketAddress::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &v6_.sin6_addr, buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in *>(&v6_)->sin_addr, buf, sizeof buf);
  }
  return buf;
}

std::string SocketAddress::to_string() const {
  const bool v6 = family() == AF_INET6;
  std::string out = v6 ? "[" : "";
  out += ip_string();
  out += v6 ? "]:" : ":";
  out += std::to_string(port());
  return out;
}

}  // namespace queuednet::detail
