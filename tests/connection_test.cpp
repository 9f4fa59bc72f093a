// Tests for queuednet/connection.h: socket options, addresses, collect-tcp, PointerToConnection.
#include "queuednet/connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

namespace {
int int_option(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(getsockopt(fd, level, name, &v, &len), 0) << "option " << name;
  return v;
}
}  // namespace

TEST(Connection, SocketOptionsTakeEffectOrSayWhy) {
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  ASSERT_NE(conn, nullptr);
  const int fd = conn->get_fd();
  // Each flag is read back from the socket after every change, both ways (TCP_NODELAY may be
  // on by default: turning it off must show too).
  for (bool on : {false, true, false}) {
    SCOPED_TRACE(on ? "on" : "off");
    EXPECT_TRUE(conn->set_no_delay(on));
    EXPECT_EQ(int_option(fd, IPPROTO_TCP, TCP_NODELAY) != 0, on);
    EXPECT_TRUE(conn->set_keep_alive(on));
    EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_KEEPALIVE) != 0, on);
    EXPECT_TRUE(conn->set_reuse_addr(on));
    EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_REUSEADDR) != 0, on);
  }
  EXPECT_TRUE(conn->set_linger(true, 2));
  linger l{-1, -1};
  socklen_t len = sizeof l;
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
  EXPECT_NE(l.l_onoff, 0);
  EXPECT_EQ(l.l_linger, 2);
  EXPECT_TRUE(conn->set_linger(false, 0));
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
  EXPECT_EQ(l.l_onoff, 0);
  // Buffer sizes: a small request, then a large one; the kernel's value grows (Linux stores
  // twice the request, capped by net.core.[rw]mem_max, which is well above 64 KiB by default).
  for (int option : {SO_RCVBUF, SO_SNDBUF}) {
    auto set = [&](int size) { return option == SO_RCVBUF ? conn->set_recv_buffer_size(size) : conn->set_send_buffer_size(size); };
    EXPECT_TRUE(set(4096));
    const int small = int_option(fd, SOL_SOCKET, option);
    EXPECT_TRUE(set(65536));
    const int large = int_option(fd, SOL_SOCKET, option);
    EXPECT_GE(small, 4096) << option;
    EXPECT_GT(large, small) << option;
    EXPECT_GE(large, 65536) << option;
  }

  auto udp = server.manager->open_UDP_connection(0);
  EXPECT_FALSE(udp->set_no_delay(true));
  EXPECT_EQ(last_error().code, make_error_code(errc::wrong_connection_kind));
  EXPECT_FALSE(udp->set_linger(true, 1));
  EXPECT_TRUE(udp->set_recv_buffer_size(4096));
  const int udp_small = int_option(udp->get_fd(), SOL_SOCKET, SO_RCVBUF);
  EXPECT_TRUE(udp->set_recv_buffer_size(65536));
  EXPECT_GT(int_option(udp->get_fd(), SOL_SOCKET, SO_RCVBUF), udp_small);
  EXPECT_TRUE(udp->set_reuse_addr(true));
  EXPECT_NE(int_option(udp->get_fd(), SOL_SOCKET, SO_REUSEADDR), 0);

  server.manager->close_connection(conn);
  ASSERT_TRUE(qt::eventually([&] { server.reader.poll(); return !conn->is_open(); }));
  EXPECT_FALSE(conn->set_no_delay(true));
  EXPECT_EQ(last_error().code, make_error_code(errc::connection_closed));
  EXPECT_FALSE(conn->flush());
}

TEST(Connection, AddressesAndManager) {
  qt::Server server;
  qt::Client client(server.port);
  auto conn = server.accept_one();
  EXPECT_EQ(client.connection->get_address().to_string(), "127.0.0.1:" + std::to_string(server.port));
  EXPECT_EQ(server.rendezvous->get_address().get_port(), server.port);
  EXPECT_EQ(conn->get_manager(), server.manager.get());
  PointerToConnection p(conn);
  EXPECT_EQ(p.p(), conn.get());
  std::shared_ptr<Connection> &as_shared = p;  // binds to the Panda3D-style out-parameters
  EXPECT_EQ(as_shared, conn);
}

TEST(Connection, CollectTcpHoldsUntilFlush) {
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  conn->set_collect_tcp(true);
  conn->set_collect_tcp_interval(3600);
  EXPECT_TRUE(conn->get_collect_tcp());
  EXPECT_EQ(conn->get_collect_tcp_interval(), 3600);
  // The first send after a quiet interval goes at once; later ones are held.
  ASSERT_TRUE(server.writer.send(Datagram(std::string_view("a")), conn));
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    raw.read_available();
    return raw.received().size() >= 3;
  }));
  ASSERT_TRUE(server.writer.send(Datagram(std::string_view("b")), conn));
  // "a" leaves the output count once its write returns; "b" stays held.
  ASSERT_TRUE(qt::eventually([&] { server.reader.poll(); return conn->get_pending_output() == 3u; }));
  raw.read_available();
  EXPECT_EQ(raw.received().size(), 3u);
  EXPECT_TRUE(conn->consider_flush());       // interval not passed: still held
  EXPECT_EQ(conn->get_pending_output(), 3u);
  EXPECT_TRUE(conn->flush());
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    raw.read_available();
    return raw.received().size() >= 6;
  }));
  EXPECT_EQ(raw.received(), std::string("\x01\x00" "a\x01\x00" "b", 6));
}
