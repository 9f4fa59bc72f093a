// Tests for queuednet/net_address.h: ADDR-1, IPv6 comparison done right, v4-mapped
// normalisation, every resolved address kept, hashes consistent with ==.
#include "queuednet/net_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

#include "queuednet/error.h"

using queuednet::NetAddress;

TEST(NetAddress, Addr1) {
  NetAddress a;
  EXPECT_TRUE(a.is_any());
  ASSERT_TRUE(a.set_host("127.0.0.1", 80));
  EXPECT_EQ(a.get_ip_string(), "127.0.0.1");
  EXPECT_EQ(a.get_port(), 80);
  EXPECT_EQ(a.to_string(), "127.0.0.1:80");
  std::ostringstream out;
  out << a;
  EXPECT_EQ(out.str(), "127.0.0.1:80");
  EXPECT_EQ(a.get_ip_component(0), 127);
  EXPECT_EQ(a.get_ip_component(3), 1);
  EXPECT_FALSE(a.is_any());
  a.set_broadcast(9);
  EXPECT_EQ(a.to_string(), "255.255.255.255:9");
  a.set_localhost(7);
  EXPECT_EQ(a.to_string(), "127.0.0.1:7");
  a.set_any(5);
  EXPECT_TRUE(a.is_any());
}

TEST(NetAddress, UnresolvableHostFailsWithReasonAndKeepsAddress) {
  NetAddress a;
  a.set_localhost(1);
  queuednet::clear_last_error();
  EXPECT_FALSE(a.set_host("no-such-host.invalid", 80));
  EXPECT_EQ(queuednet::last_error().code, queuednet::make_error_code(queuednet::errc::host_not_found));
  EXPECT_NE(queuednet::last_error().message.find("no-such-host.invalid"), std::string::npos);
  EXPECT_EQ(a.to_string(), "127.0.0.1:1");
}

TEST(NetAddress, Ipv6EqualityAndOrderAreCorrect) {
  NetAddress a, b, c;
  ASSERT_TRUE(a.set_host("::1", 5000));
  ASSERT_TRUE(b.set_host("::1", 5000));
  ASSERT_TRUE(c.set_host("::1", 5001));
  EXPECT_EQ(a.to_string(), "[::1]:5000");
  EXPECT_EQ(a.get_ip_string(), "::1");
  EXPECT_TRUE(a == b);   // Panda3D: false
  EXPECT_FALSE(a == c);  // Panda3D: true
  EXPECT_TRUE(a < c);
  EXPECT_FALSE(c < a);
  EXPECT_FALSE(a < b);
  EXPECT_EQ(a.get_hash(), b.get_hash());
  NetAddress v4;
  v4.set_host("127.0.0.1", 5000);
  EXPECT_FALSE(v4 == a);  // different families
}

TEST(NetAddress, FlowLabelIsIgnoredByEqualityAndHash) {
  // Two packets from one IPv6 peer may carry different flow labels: same address, same hash.
  sockaddr_in6 raw{};
  raw.sin6_family = AF_INET6;
  raw.sin6_port = htons(4000);
  inet_pton(AF_INET6, "2001:db8::7", &raw.sin6_addr);
  raw.sin6_flowinfo = htonl(0x12345);
  const NetAddress a(reinterpret_cast<sockaddr *>(&raw), sizeof raw);
  raw.sin6_flowinfo = htonl(0x54321);
  const NetAddress b(reinterpret_cast<sockaddr *>(&raw), sizeof raw);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.get_hash(), b.get_hash());
  raw.sin6_port = htons(4001);
  const NetAddress c(reinterpret_cast<sockaddr *>(&raw), sizeof raw);
  EXPECT_FALSE(a == c);
  EXPECT_NE(a.get_hash(), c.get_hash());
}

TEST(NetAddress, V4MappedIsNormalisedToIpv4) {
  NetAddress mapped;
  ASSERT_TRUE(mapped.set_host("::ffff:10.1.2.3", 99));
  EXPECT_EQ(mapped.get_family(), AF_INET);
  EXPECT_EQ(mapped.to_string(), "10.1.2.3:99");
  NetAddress plain;
  plain.set_host("10.1.2.3", 99);
  EXPECT_EQ(mapped, plain);

  sockaddr_in6 raw{};
  raw.sin6_family = AF_INET6;
  raw.sin6_port = htons(7);
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &raw.sin6_addr);
  NetAddress from_raw(reinterpret_cast<sockaddr *>(&raw), sizeof raw);
  EXPECT_EQ(from_raw.to_string(), "127.0.0.1:7");
}

TEST(NetAddress, KeepsEveryResolvedAddress) {
  NetAddress a;
  ASSERT_TRUE(a.set_host("localhost", 1234));
  ASSERT_GE(a.get_num_resolved(), 1u);
  for (size_t i = 0; i < a.get_num_resolved(); ++i) {
    EXPECT_EQ(a.get_resolved(i).get_port(), 1234);
    const std::string ip = a.get_resolved(i).get_ip_string();
    EXPECT_TRUE(ip == "127.0.0.1" || ip == "::1") << ip;
  }
  EXPECT_EQ(a.get_resolved(0), a);
}

// Found by tests/fuzz/net_address_fuzzer (seed corpus/net_address/raw-sockaddrs): addresses
// equal under == hashed differently when the bytes == ignores (IPv4 sin_zero, IPv6 flow label)
// differed, breaking hash containers keyed by NetAddress.
TEST(NetAddress, EqualAddressesHashAlikeWhateverThePadding) {
  sockaddr_in a{}, b{};
  a.sin_family = b.sin_family = AF_INET;
  a.sin_port = b.sin_port = htons(5000);
  inet_pton(AF_INET, "192.168.1.2", &a.sin_addr);
  b.sin_addr = a.sin_addr;
  std::memset(b.sin_zero, 0x01, sizeof b.sin_zero);
  const NetAddress x(reinterpret_cast<sockaddr *>(&a), sizeof a), y(reinterpret_cast<sockaddr *>(&b), sizeof b);
  ASSERT_EQ(x, y);
  EXPECT_EQ(x.get_hash(), y.get_hash());

  sockaddr_in6 c{}, d{};
  c.sin6_family = d.sin6_family = AF_INET6;
  c.sin6_port = d.sin6_port = htons(6000);
  inet_pton(AF_INET6, "2001:db8::1", &c.sin6_addr);
  d.sin6_addr = c.sin6_addr;
  d.sin6_flowinfo = htonl(0xABCDE);
  const NetAddress v(reinterpret_cast<sockaddr *>(&c), sizeof c), w(reinterpret_cast<sockaddr *>(&d), sizeof d);
  ASSERT_EQ(v, w);
  EXPECT_EQ(v.get_hash(), w.get_hash());

  // Different addresses, ports or families still hash apart here (not required, but a hash
  // that ignored the address would pass the checks above).
  NetAddress p, q, r;
  p.set_host("192.168.1.2", 5000);
  q.set_host("192.168.1.3", 5000);
  r.set_host("192.168.1.2", 5001);
  EXPECT_EQ(p.get_hash(), x.get_hash());
  EXPECT_NE(p.get_hash(), q.get_hash());
  EXPECT_NE(p.get_hash(), r.get_hash());
}
