// Internal. SocketAddress: an IPv4 or IPv6 socket address as the engine keeps it, in 28 bytes
// (what a connection's peer or a UDP sender needs; name resolution is NetAddress's). An
// IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes IPv4 on the way in, as NetAddress does;
// the public layer turns it into a NetAddress when the application asks.
// Thread safety: a value type; distinct objects from any thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace queuednet::detail {

class SocketAddress {
 public:
  // 0.0.0.0:0.
  SocketAddress();
  // From a raw socket address; unknown families, short lengths and null give 0.0.0.0:0.
  SocketAddress(const sockaddr *addr, socklen_t len);

  int family() const { return v6_.sin6_family; }
  const sockaddr *get() const { return reinterpret_cast<const sockaddr *>(&v6_); }
  // The address as stored: a sockaddr_in6, or a sockaddr_in in its first bytes.
  const sockaddr_in6 &raw() const { return v6_; }
  socklen_t length() const { return family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in); }
  int port() const { return ntohs(v6_.sin6_port); }  // same offset in sockaddr_in
  // "1.2.3.4" or "::1" (no brackets).
  std::string ip_string() const;
  // "1.2.3.4:port" or "[::1]:port".
  std::string to_string() const;

 private:
  sockaddr_in6 v6_{};  // holds a sockaddr_in when family() is AF_INET
};

}  // namespace queuednet::detail
