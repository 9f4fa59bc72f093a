/// @file
/// Public header. NetAddress: an IPv4 or IPv6 socket address (Panda3D's NetAddress).
///
/// Differences from Panda3D, on purpose: set_host keeps every getaddrinfo result (connects try
/// them in turn); `==` and `<` are correct for IPv6 (Panda3D's are inverted); IPv4-mapped IPv6
/// addresses (::ffff:a.b.c.d) are normalised to IPv4 wherever an address enters the library.
///
/// Thread safety: distinct objects safe from any thread; one object not thread safe.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace queuednet {

class NetAddress {
 public:
  /// IPv4 0.0.0.0:0.
  NetAddress();
  /// From a raw socket address (v4-mapped IPv6 becomes IPv4). Unknown families give 0.0.0.0:0.
  NetAddress(const sockaddr *addr, socklen_t len);

  /// 0.0.0.0:port. Always true.
  bool set_any(int port);
  /// 127.0.0.1:port. True.
  bool set_localhost(int port);
  /// 255.255.255.255:port. True.
  bool set_broadcast(int port);
  /// Resolves `hostname` (a name or a numeric v4/v6 literal); on success the first result is the
  /// address and every result is kept (get_num_resolved / get_resolved). On failure returns false,
  /// leaves the address unchanged and records the reason in last_error(). Port truncated to 16 bits.
  bool set_host(const std::string &hostname, int port);
  /// 0.0.0.0:0.
  void clear();

  int get_port() const;
  void set_port(int port);
  /// "1.2.3.4" or "::1" (no brackets).
  std::string get_ip_string() const;
  /// True for 0.0.0.0 and ::.
  bool is_any() const;
  /// Deprecated in Panda3D: IPv4 address in network byte order (as Panda3D returns it); 0 for IPv6.
  uint32_t get_ip() const;
  /// Byte n (0..3) of an IPv4 address; 0 when out of range or not IPv4.
  uint8_t get_ip_component(int n) const;
  /// AF_INET or AF_INET6.
  int get_family() const { return storage_.sin6_family; }
  /// Equal addresses (==) hash alike: the hash covers what == compares and nothing else.
  size_t get_hash() const;
  /// "a.b.c.d:port" or "[v6]:port".
  void output(std::ostream &out) const;
  std::string to_string() const;

  /// The raw address, for system calls.
  const sockaddr *get_sockaddr() const { return reinterpret_cast<const sockaddr *>(&storage_); }
  socklen_t get_sockaddr_len() const;

  /// Every address set_host resolved, first one included (1 entry otherwise).
  size_t get_num_resolved() const { return resolved_.empty() ? 1 : resolved_.size(); }
  NetAddress get_resolved(size_t n) const;

  friend bool operator==(const NetAddress &a, const NetAddress &b);
  friend bool operator!=(const NetAddress &a, const NetAddress &b) { return !(a == b); }
  /// Orders by family, then address bytes, then port.
  friend bool operator<(const NetAddress &a, const NetAddress &b);

 private:
  sockaddr_in6 storage_{};  // holds a sockaddr_in when the family is AF_INET
  std::vector<sockaddr_in6> resolved_;
};

std::ostream &operator<<(std::ostream &out, const NetAddress &addr);

}  // namespace queuednet
