// Tests for queuednet/connection.h: socket options, addresses, collect-tcp, PointerToConnection.
#include "queuednet/connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

namespace {
int int_option(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  getsockopt(fd, level, name, &v, &len);
  return v;
}
}  // namespace

TEST(Connection, SocketOptionsApplyOrSayWhy) {
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  ASSERT_NE(conn, nullptr);
  EXPECT_TRUE(conn->set_no_delay(true));
  EXPECT_NE(int_option(conn->get_fd(), IPPROTO_TCP, TCP_NODELAY), 0);
  EXPECT_TRUE(conn->set_keep_alive(true));
  EXPECT_NE(int_option(conn->get_fd(), SOL_SOCKET, SO_KEEPALIVE), 0);
  EXPECT_TRUE(conn->set_linger(true, 2));
  EXPECT_TRUE(conn->set_reuse_addr(true));
  EXPECT_TRUE(conn->set_recv_buffer_size(65536));
  EXPECT_TRUE(conn->set_send_buffer_size(65536));
  auto udp = server.manager->open_UDP_connection(0);
  EXPECT_FALSE(udp->set_no_delay(true));
  EXPECT_EQ(last_error().code, make_error_code(errc::wrong_connection_kind));
  EXPECT_FALSE(udp->set_linger(true, 1));
  EXPECT_TRUE(udp->set_recv_buffer_size(65536));
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
