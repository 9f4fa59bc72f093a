// Tests for queuednet/connection_writer.h: exact bytes on the wire (WIRE-5/6), refusals with a
// reason, output high-water mark, slow consumers, non-reading clients not stalling others.
#include "queuednet/connection_writer.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

namespace {

// Reads from `raw` (while turning the server's loop) until it holds `size` bytes.
bool receive(qt::Server &server, qt::RawClient &raw, size_t size) {
  return qt::eventually([&] {
    server.reader.poll();
    raw.read_available();
    return raw.received().size() >= size;
  });
}

}  // namespace

TEST(ConnectionWriter, Wire5ExactBytesForEachFraming) {
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  ASSERT_NE(conn, nullptr);
  Datagram abc(std::string_view("abc"));
  ASSERT_TRUE(server.writer.send(abc, conn));
  server.writer.set_tcp_header_size(4);
  ASSERT_TRUE(server.writer.send(abc, conn));
  server.writer.set_raw_mode(true);
  ASSERT_TRUE(server.writer.send(abc, conn));
  server.writer.set_raw_mode(false);
  server.writer.set_tcp_header_size(2);
  ASSERT_TRUE(server.writer.send(Datagram(), conn));  // WIRE-7
  const std::string want = std::string("\x03\x00" "abc" "\x03\x00\x00\x00" "abc" "abc" "\x00\x00", 17);
  ASSERT_TRUE(receive(server, raw, want.size()));
  EXPECT_EQ(raw.received(), want);
}

TEST(ConnectionWriter, Wire6TooLargeIsRefusedWithReasonAndNothingWritten) {
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  clear_last_error();
  EXPECT_FALSE(server.writer.send(Datagram(std::string(65536, 'x')), conn));
  EXPECT_EQ(last_error().code, make_error_code(errc::datagram_too_large));
  EXPECT_NE(last_error().message.find("65536 bytes--too long"), std::string::npos) << last_error().message;
  ASSERT_TRUE(server.writer.send(Datagram(std::string_view("next")), conn));
  ASSERT_TRUE(receive(server, raw, 6));
  EXPECT_EQ(raw.received(), std::string("\x04\x00" "next", 6));
}

TEST(ConnectionWriter, WrongKindNullAndShutdownAreRefused) {
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  auto udp = server.manager->open_UDP_connection(0);
  NetAddress to;
  to.set_host("127.0.0.1", 9);
  Datagram dg(std::string_view("x"));
  EXPECT_FALSE(server.writer.send(dg, udp));
  EXPECT_EQ(last_error().code, make_error_code(errc::wrong_connection_kind));
  EXPECT_FALSE(server.writer.send(dg, conn, to));
  EXPECT_EQ(last_error().code, make_error_code(errc::wrong_connection_kind));
  EXPECT_FALSE(server.writer.send(dg, nullptr));
  EXPECT_FALSE(server.writer.send(Datagram(std::string(65506, 'x')), udp, to));
  EXPECT_EQ(last_error().code, make_error_code(errc::datagram_too_large));
  EXPECT_TRUE(server.writer.is_valid_for_udp(Datagram(std::string(1500, 'x'))));
  EXPECT_FALSE(server.writer.is_valid_for_udp(Datagram(std::string(1501, 'x'))));
  EXPECT_FALSE(server.writer.set_tcp_header_size(1));
  server.writer.shutdown();
  EXPECT_FALSE(server.writer.send(dg, conn));
  EXPECT_EQ(last_error().code, make_error_code(errc::shut_down));
}

TEST(ConnectionWriter, NonReadingClientHitsHighWaterMarkWhileOthersFlow) {
  qt::Server server;
  server.writer.set_max_queue_size(256 * 1024);
  qt::RawClient stuck(server.port);
  auto stuck_conn = server.accept_one();
  qt::RawClient healthy(server.port);
  auto healthy_conn = server.accept_one();
  stuck_conn->set_send_buffer_size(4096);
  const Datagram chunk(std::string(16000, 'q'));
  int accepted = 0;
  while (server.writer.send(chunk, stuck_conn)) {
    ++accepted;
    server.reader.poll();
    ASSERT_LT(accepted, 100000) << "send never refused";
  }
  EXPECT_EQ(last_error().code, make_error_code(errc::output_buffer_full));
  const size_t pending = stuck_conn->get_pending_output();
  EXPECT_LT(pending, 256u * 1024u + 16002u);  // never past the mark by more than one datagram
  if (qt::test_threads() == 0) {  // polled: nothing drains in the background, so exact
    EXPECT_GE(pending, 256u * 1024u);
    EXPECT_EQ(server.writer.get_current_queue_size(), pending);
  }
  // The other client is served normally.
  ASSERT_TRUE(server.writer.send(Datagram(std::string_view("fine")), healthy_conn));
  ASSERT_TRUE(receive(server, healthy, 6));
  EXPECT_EQ(healthy.received(), std::string("\x04\x00" "fine", 6));
  // Once the stuck client reads, everything accepted arrives whole.
  const size_t expected = static_cast<size_t>(accepted) * 16002u;
  ASSERT_TRUE(receive(server, stuck, expected));
  EXPECT_EQ(stuck.received().size(), expected);
  EXPECT_EQ(stuck.received().substr(0, 2), std::string("\x80\x3e", 2));
}

TEST(ConnectionWriter, BlockingSendPastHardLimitClosesSlowConsumer) {
  qt::Server server;
  server.writer.set_max_queue_size(64 * 1024);
  server.writer.set_hard_limit(512 * 1024);
  qt::RawClient stuck(server.port);
  auto conn = server.accept_one();
  conn->set_send_buffer_size(4096);
  const Datagram chunk(std::string(32000, 'z'));
  int sends = 0;
  while (server.writer.send(chunk, conn, true)) {
    server.reader.poll();
    ASSERT_LT(++sends, 100000);
  }
  EXPECT_EQ(last_error().code, make_error_code(errc::slow_consumer));
  std::shared_ptr<Connection> lost;
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    return server.manager->get_reset_connection(lost);
  }));
  EXPECT_EQ(lost, conn);
  EXPECT_FALSE(conn->is_open());
  EXPECT_EQ(conn->get_pending_output(), 0u);
}

TEST(ConnectionWriter, CloseConnectionFlushesQueuedOutputFirst) {
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  std::string want;
  for (int i = 0; i < 200; ++i) {
    const std::string p = qt::pattern(5000, static_cast<unsigned>(i));
    ASSERT_TRUE(server.writer.send(Datagram(p), conn));
    want += qt::frame2(p);
  }
  EXPECT_TRUE(server.manager->close_connection(conn));
  EXPECT_FALSE(server.writer.send(Datagram(std::string_view("late")), conn));
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    raw.read_available();
    return raw.peer_closed();
  }));
  EXPECT_TRUE(raw.received() == want);
}
