// Internal. NetAddress over a sockaddr_in6 (which holds a sockaddr_in as well).
#include "queuednet/net_address.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <array>
#include <cstring>
#include <ostream>
#include <sstream>
#include <tuple>

#include "engine/socket_address.h"
#include "error_record.h"

namespace queuednet {
namespace {

using Storage = sockaddr_in6;  // holds a sockaddr_in in its first bytes

sockaddr_in *v4(Storage &s) { return reinterpret_cast<sockaddr_in *>(&s); }
const sockaddr_in *v4(const Storage &s) { return reinterpret_cast<const sockaddr_in *>(&s); }

void set_v4(Storage &s, uint32_t host_order_ip, int port) {
  s = {};
  v4(s)->sin_family = AF_INET;
  v4(s)->sin_addr.s_addr = htonl(host_order_ip);
  v4(s)->sin_port = htons(static_cast<uint16_t>(port));
}

// `addr` with ::ffff:a.b.c.d turned into a.b.c.d; unknown families give 0.0.0.0:0.
Storage normalised(const sockaddr *addr, socklen_t len) { return detail::SocketAddress(addr, len).raw(); }

detail::SocketAddress as_socket_address(const NetAddress &a) {
  return detail::SocketAddress(a.get_sockaddr(), a.get_sockaddr_len());
}

}  // namespace

NetAddress::NetAddress() { set_v4(storage_, 0, 0); }

NetAddress::NetAddress(const sockaddr *addr, socklen_t len) : storage_(normalised(addr, len)) {}

bool NetAddress::set_any(int port) {
  resolved_.clear();
  set_v4(storage_, INADDR_ANY, port);
  return true;
}

bool NetAddress::set_localhost(int port) {
  resolved_.clear();
  set_v4(storage_, INADDR_LOOPBACK, port);
  return true;
}

bool NetAddress::set_broadcast(int port) {
  resolved_.clear();
  set_v4(storage_, INADDR_BROADCAST, port);
  return true;
}

bool NetAddress::set_host(const std::string &hostname, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  addrinfo *res = nullptr;
  const int rc = ::getaddrinfo(hostname.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    detail::set_last_error(make_error_code(errc::host_not_found),
                           "cannot resolve host '" + hostname + "': " + ::gai_strerror(rc));
    return false;
  }
  std::vector<Storage> all;
  for (addrinfo *ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    Storage s = normalised(ai->ai_addr, ai->ai_addrlen);
    v4(s)->sin_port = htons(static_cast<uint16_t>(port));  // same offset for v4 and v6
    all.push_back(s);
  }
  ::freeaddrinfo(res);
  if (all.empty()) {
    detail::set_last_error(make_error_code(errc::host_not_found),
                           "host '" + hostname + "' has no IPv4 or IPv6 address");
    return false;
  }
  storage_ = all.front();
  resolved_ = std::move(all);
  return true;
}

void NetAddress::clear() { set_any(0); }

int NetAddress::get_port() const { return ntohs(v4(storage_)->sin_port); }

void NetAddress::set_port(int port) {
  v4(storage_)->sin_port = htons(static_cast<uint16_t>(port));
  for (auto &s : resolved_) v4(s)->sin_port = htons(static_cast<uint16_t>(port));
}

std::string NetAddress::get_ip_string() const { return as_socket_address(*this).ip_string(); }

bool NetAddress::is_any() const {
  if (storage_.sin6_family == AF_INET6) return IN6_IS_ADDR_UNSPECIFIED(&storage_.sin6_addr);
  return v4(storage_)->sin_addr.s_addr == INADDR_ANY;
}

uint32_t NetAddress::get_ip() const {
  return storage_.sin6_family == AF_INET ? v4(storage_)->sin_addr.s_addr : 0;
}

uint8_t NetAddress::get_ip_component(int n) const {
  if (storage_.sin6_family != AF_INET || n < 0 || n > 3) return 0;
  return reinterpret_cast<const uint8_t *>(&v4(storage_)->sin_addr.s_addr)[n];
}

void NetAddress::output(std::ostream &out) const { out << to_string(); }

std::string NetAddress::to_string() const { return as_socket_address(*this).to_string(); }

socklen_t NetAddress::get_sockaddr_len() const {
  return storage_.sin6_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

NetAddress NetAddress::get_resolved(size_t n) const {
  if (n >= resolved_.size()) return *this;
  const Storage &s = resolved_[n];
  return NetAddress(reinterpret_cast<const sockaddr *>(&s), sizeof s);
}

namespace {
auto key(const Storage &s) {
  std::array<unsigned char, 16> bytes{};
  uint32_t scope = 0;
  if (s.sin6_family == AF_INET6) {
    std::memcpy(bytes.data(), s.sin6_addr.s6_addr, 16);
    scope = s.sin6_scope_id;
  } else {
    std::memcpy(bytes.data(), &v4(s)->sin_addr.s_addr, 4);
  }
  return std::make_tuple(s.sin6_family, bytes, ntohs(v4(s)->sin_port), scope);
}
}  // namespace

// Hashes exactly what == compares (family, address, port, scope), so equal addresses hash
// alike; the IPv6 flow label, which == ignores, is left out.
size_t NetAddress::get_hash() const {
  const auto [family, bytes, port, scope] = key(storage_);
  size_t h = 1469598103934665603ULL;
  const auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ULL; };
  mix(family);
  for (unsigned char b : bytes) mix(b);
  mix(port);
  mix(scope);
  return h;
}

bool operator==(const NetAddress &a, const NetAddress &b) { return key(a.storage_) == key(b.storage_); }
bool operator<(const NetAddress &a, const NetAddress &b) { return key(a.storage_) < key(b.storage_); }

std::ostream &operator<<(std::ostream &out, const NetAddress &addr) {
  addr.output(out);
  return out;
}

}  // namespace queuednet
