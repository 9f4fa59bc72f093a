// Tests for ConnectionManager::set_reuse_port: several managers on one port, the kernel
// spreading TCP connections and UDP senders across them. Loops are bounded in count.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

namespace {

// Connections or senders tried before giving up on the kernel picking both sockets. With an
// even spread the chance that 200 all land on one socket is 2^-199.
constexpr int kMaxTries = 200;

NetAddress local(uint16_t port) {
  NetAddress a;
  a.set_host("127.0.0.1", port);
  return a;
}

// One Panda3D UDP packet (checksum header) from a fresh socket, so from a new source port.
bool send_from_new_socket(uint16_t port, const std::string &payload) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  unsigned sum = 0;
  for (unsigned char c : payload) sum += c;
  std::string packet{static_cast<char>(sum & 0xff), static_cast<char>((sum >> 8) & 0xff)};
  packet += payload;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr *>(&a), sizeof a) ==
                  static_cast<ssize_t>(packet.size());
  ::close(fd);
  return ok;
}

}  // namespace

TEST(ReusePort, OffByDefaultAndOnlyLaterSocketsShare) {
  auto a = qt::make_manager();
  auto b = qt::make_manager();
  EXPECT_FALSE(a->get_reuse_port());
  std::shared_ptr<Connection> first;
  const uint16_t port = qt::listen_local(*a, first);  // opened without SO_REUSEPORT
  a->set_reuse_port(true);
  b->set_reuse_port(true);
  EXPECT_TRUE(a->get_reuse_port());
  clear_last_error();
  EXPECT_EQ(b->open_TCP_server_rendezvous(local(port), 16), nullptr);  // the first socket did not opt in
  EXPECT_EQ(last_error().code, std::error_code(EADDRINUSE, std::generic_category()));
}

TEST(ReusePort, TwoManagersOnOneTcpPortBothAccept) {
  auto a = qt::make_manager();
  auto b = qt::make_manager();
  a->set_reuse_port(true);
  b->set_reuse_port(true);
  std::shared_ptr<Connection> rv_a;
  const uint16_t port = qt::listen_local(*a, rv_a);
  auto rv_b = b->open_TCP_server_rendezvous(local(port), 1024);
  ASSERT_NE(rv_b, nullptr) << last_error().message;
  QueuedConnectionListener listener_a(a.get(), 0), listener_b(b.get(), 0);
  ASSERT_TRUE(listener_a.add_connection(rv_a));
  ASSERT_TRUE(listener_b.add_connection(rv_b));

  std::vector<std::unique_ptr<qt::RawClient>> clients;
  int accepted_a = 0, accepted_b = 0;
  auto take = [](QueuedConnectionListener &l, int &count) {
    std::shared_ptr<Connection> c;
    while (l.new_connection_available() && l.get_new_connection(c)) ++count;
  };
  while ((accepted_a == 0 || accepted_b == 0) && static_cast<int>(clients.size()) < kMaxTries) {
    clients.push_back(std::make_unique<qt::RawClient>(port));
    ASSERT_TRUE(clients.back()->connected());
    ASSERT_TRUE(qt::eventually([&] {
      take(listener_a, accepted_a);
      take(listener_b, accepted_b);
      return accepted_a + accepted_b == static_cast<int>(clients.size());
    })) << "connection " << clients.size() << " was accepted by neither manager";
  }
  EXPECT_GT(accepted_a, 0);
  EXPECT_GT(accepted_b, 0);
}

TEST(ReusePort, TwoManagersOnOneUdpPortBothReceive) {
  auto a = qt::make_manager();
  auto b = qt::make_manager();
  a->set_reuse_port(true);
  b->set_reuse_port(true);
  auto udp_a = a->open_UDP_connection("127.0.0.1", 0);
  ASSERT_NE(udp_a, nullptr);
  const uint16_t port = static_cast<uint16_t>(udp_a->get_address().get_port());
  auto udp_b = b->open_UDP_connection("127.0.0.1", port);
  ASSERT_NE(udp_b, nullptr) << last_error().message;
  QueuedConnectionReader reader_a(a.get(), 0), reader_b(b.get(), 0);
  ASSERT_TRUE(reader_a.add_connection(udp_a));
  ASSERT_TRUE(reader_b.add_connection(udp_b));

  int sent = 0, got_a = 0, got_b = 0;
  auto take = [](QueuedConnectionReader &r, int &count) {
    NetDatagram d;
    while (r.data_available() && r.get_data(d)) ++count;
  };
  while ((got_a == 0 || got_b == 0) && sent < kMaxTries) {
    ASSERT_TRUE(send_from_new_socket(port, "packet " + std::to_string(sent)));
    ++sent;
    ASSERT_TRUE(qt::eventually([&] {
      take(reader_a, got_a);
      take(reader_b, got_b);
      return got_a + got_b == sent;
    })) << "packet " << sent << " reached neither manager";
  }
  EXPECT_GT(got_a, 0);
  EXPECT_GT(got_b, 0);
}
