// libFuzzer target: NetAddress host parsing and its value semantics.
//
// No name resolution ever leaves the process: an input is given to set_host only if
// getaddrinfo accepts it with AI_NUMERICHOST (a numeric IPv4/IPv6 literal, which glibc parses
// without consulting DNS or /etc/hosts); anything else is skipped. Then: set_host succeeds with
// the port truncated to 16 bits; IPv4-mapped IPv6 comes back as IPv4; to_string matches the
// documented form and re-parses to an equal address; ==, <, get_hash agree (== is an
// equivalence, < a strict weak order consistent with it, equal addresses hash alike); copies
// and get_resolved(0) equal the original. Raw socket addresses from the input go through the
// sockaddr constructor with the same checks.
#include <arpa/inet.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <netdb.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "queuednet/net_address.h"

namespace {

using queuednet::NetAddress;

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "net_address_fuzzer: invariant broken: %s\n", what);
  std::abort();
}
#define CHECK(cond) \
  do {              \
    if (!(cond)) fail(#cond); \
  } while (0)

// True when `host` is a numeric literal getaddrinfo parses without any lookup. The hints
// match NetAddress::set_host's, plus AI_NUMERICHOST.
bool numeric_literal(const std::string &host) {
  if (host.find('\0') != std::string::npos) return false;  // c_str() would cut it: not what was fuzzed
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo *res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (res != nullptr) ::freeaddrinfo(res);
  return rc == 0;
}

// ==, < and get_hash on one pair.
void check_pair(const NetAddress &a, const NetAddress &b) {
  const bool eq = a == b;
  CHECK(eq == (b == a));
  CHECK(eq != (a != b));
  const bool lt = a < b, gt = b < a;
  CHECK(!(lt && gt));
  CHECK(eq == (!lt && !gt));  // the order's equivalence is ==
  if (eq) {
    CHECK(a.get_hash() == b.get_hash());
    CHECK(a.to_string() == b.to_string());
    CHECK(a.get_port() == b.get_port());
    CHECK(a.get_family() == b.get_family());
  }
}

void check_one(const NetAddress &a) {
  CHECK(a.get_family() == AF_INET || a.get_family() == AF_INET6);
  CHECK(a.get_port() >= 0 && a.get_port() <= 0xFFFF);
  check_pair(a, a);
  const NetAddress copy = a;
  check_pair(a, copy);
  CHECK(a == copy);
  CHECK(a.get_num_resolved() >= 1);
  CHECK(a.get_resolved(0) == a);
  CHECK(a.get_resolved(a.get_num_resolved()) == a);  // out of range: itself

  const std::string ip = a.get_ip_string();
  const std::string port = std::to_string(a.get_port());
  if (a.get_family() == AF_INET) {
    CHECK(a.to_string() == ip + ":" + port);
    CHECK(a.get_sockaddr_len() == sizeof(sockaddr_in));
    in_addr parsed{};
    CHECK(::inet_pton(AF_INET, ip.c_str(), &parsed) == 1);
    CHECK(parsed.s_addr == a.get_ip());
    for (int i = 0; i < 4; ++i) CHECK(a.get_ip_component(i) == reinterpret_cast<const uint8_t *>(&parsed.s_addr)[i]);
  } else {
    CHECK(a.to_string() == "[" + ip + "]:" + port);
    CHECK(a.get_sockaddr_len() == sizeof(sockaddr_in6));
    CHECK(a.get_ip() == 0);
    const auto *s6 = reinterpret_cast<const sockaddr_in6 *>(a.get_sockaddr());
    CHECK(!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr));  // normalised to IPv4 on the way in
  }
  CHECK(a.get_ip_component(-1) == 0 && a.get_ip_component(4) == 0);

  // The printed address parses back to the same address (the scope id is not printed).
  NetAddress back;
  CHECK(back.set_host(ip, a.get_port()));
  const auto *s6 = reinterpret_cast<const sockaddr_in6 *>(a.get_sockaddr());
  if (a.get_family() == AF_INET || s6->sin6_scope_id == 0) CHECK(back == a);
  CHECK(back.get_ip_string() == ip);
}

// A NetAddress from raw sockaddr bytes (as recvfrom/accept would hand them over).
NetAddress from_raw(FuzzedDataProvider &in) {
  sockaddr_storage s{};
  const std::vector<uint8_t> raw = in.ConsumeBytes<uint8_t>(sizeof s);
  if (!raw.empty()) std::memcpy(&s, raw.data(), raw.size());
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: s.ss_family = AF_INET; break;
    case 1: s.ss_family = AF_INET6; break;
    default: break;  // whatever the bytes say (unknown families give 0.0.0.0:0)
  }
  const auto len = static_cast<socklen_t>(in.ConsumeIntegralInRange<size_t>(0, sizeof s));
  return NetAddress(reinterpret_cast<const sockaddr *>(&s), len);
}

// The same address with the bytes == ignores changed: the IPv4 padding (sin_zero) and the
// IPv6 flow label. Equal addresses must still hash alike.
NetAddress twin(const NetAddress &a, uint64_t noise) {
  sockaddr_storage s{};
  std::memcpy(&s, a.get_sockaddr(), a.get_sockaddr_len());
  if (a.get_family() == AF_INET) {
    std::memcpy(reinterpret_cast<sockaddr_in *>(&s)->sin_zero, &noise, sizeof(sockaddr_in::sin_zero));
  } else {
    reinterpret_cast<sockaddr_in6 *>(&s)->sin6_flowinfo = static_cast<uint32_t>(noise);
  }
  return NetAddress(reinterpret_cast<const sockaddr *>(&s), a.get_sockaddr_len());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<NetAddress> all;
  while (in.remaining_bytes() > 0 && all.size() < 8) {
    if (in.ConsumeIntegralInRange<int>(0, 3) == 0) {
      all.push_back(from_raw(in));
      check_one(all.back());
      all.push_back(twin(all.back(), in.ConsumeIntegral<uint64_t>()));
      check_one(all.back());
      check_pair(all[all.size() - 2], all.back());
      continue;
    }
    const int port = in.ConsumeIntegral<int>();
    const std::string host = in.ConsumeRandomLengthString(64);
    if (!numeric_literal(host)) continue;  // never resolve a name: no DNS traffic
    NetAddress a;
    a.set_port(1234);
    CHECK(a.set_host(host, port));
    CHECK(a.get_port() == (port & 0xFFFF));
    const int other = (port & 0xFFFF) + 1;  // 65536 included: truncated to 0
    a.set_port(other);
    CHECK(a.get_port() == (other & 0xFFFF));
    for (size_t i = 0; i < a.get_num_resolved(); ++i) CHECK(a.get_resolved(i).get_port() == a.get_port());
    check_one(a);
    all.push_back(a);
  }
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size(); ++j) {
      check_pair(all[i], all[j]);
      for (size_t k = 0; k < all.size(); ++k) {  // transitivity of <
        if (all[i] < all[j] && all[j] < all[k]) CHECK(all[i] < all[k]);
      }
    }
  }
  return 0;
}
