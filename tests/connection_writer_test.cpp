// Tests for queuednet/connection_writer.h: exact bytes on the wire (WIRE-5/6), refusals with a
// reason, output high-water mark, slow consumers, non-reading clients not stalling others, the
// write rule (when queued bytes reach the kernel) and send() telling the truth.
#include "queuednet/connection_writer.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/held_output.h"
#include "engine/output_policy.h"
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

TEST(ConnectionWriter, SendWithNothingWaitingReachesThePeerBeforeTheSenderCallsAnythingElse) {
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  ASSERT_NE(conn, nullptr);
  // Nothing waits to be read: the bytes must reach the peer while the server does nothing
  // more. Polled mode writes the first send before it returns and holds the rest of the
  // burst, which its late writer writes as the application calls nothing; a worker writes on
  // its own. Each send, not only the first: the later ones must not wait for a turn to
  // collect the first's completion (io_uring).
  std::string want;
  for (int i = 0; i < 100; ++i) {
    const std::string body = "hello " + std::to_string(i);
    ASSERT_TRUE(server.writer.send(Datagram(body), conn));
    want += qt::frame2(body);
  }
  ASSERT_TRUE(raw.wait_for_bytes(want.size()));
  EXPECT_EQ(raw.received(), want);
}

TEST(ConnectionWriter, PolledBurstOfSendsIsWrittenWithFewSystemCalls) {
  if (qt::test_threads() != 0) GTEST_SKIP() << "the burst rule is polled mode's";
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  ASSERT_NE(conn, nullptr);
  // Sends made one after the other while nothing waits to be read: the first goes at once,
  // the others wait for the application's next call, which writes them together.
  constexpr int kBurst = 64;
  std::vector<std::string> bodies;
  for (int i = 0; i < kBurst; ++i) bodies.push_back("burst " + std::to_string(i));
  std::string want;
  for (const std::string &body : bodies) want += qt::frame2(body);
  const uint64_t before = server.manager->get_statistics().writes;
  const auto start = std::chrono::steady_clock::now();
  for (const std::string &body : bodies) ASSERT_TRUE(server.writer.send(Datagram(body), conn));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(server.reader.data_available());
  ASSERT_TRUE(raw.wait_for_bytes(want.size()));
  EXPECT_EQ(raw.received(), want);
  // Each burst window the sends took (a slow or preempted sender's take several) starts with
  // one write, and the held rest goes with the call after them, or with the late writer.
  const auto windows = static_cast<uint64_t>(took / queuednet::detail::HeldOutput::kBurstWindow) + 1;
  const uint64_t writes = server.manager->get_statistics().writes - before;
  EXPECT_GE(writes, 1u);
  EXPECT_LE(writes, 2 * windows) << "the sends took " << windows << " burst window(s)";
  if (windows < kBurst / 4) EXPECT_LT(writes, static_cast<uint64_t>(kBurst)) << "no send of the burst was held";
}

// A broadcast: each datagram of a drain goes to every member of a room. The last datagram's
// sends are to members whose output already waits for the end of the drain, so they join it:
// the call that ends the drain writes each member once, with every datagram it was sent.
// (Written at once, the last datagram's first send would write every member's earlier
// output, and its later sends would each need a write of their own: 5 writes here.) A late
// writer's tick between two sends (a sender preempted for 0.5 ms) may add one write.
TEST(ConnectionWriter, PolledDrainEndJoinsOutputThatAlreadyWaits) {
  if (qt::test_threads() != 0) GTEST_SKIP() << "the write rule's drain is polled mode's";
  qt::Server server;
  qt::RawClient a(server.port), b(server.port), c(server.port);
  const auto room = server.accept_n(3);
  ASSERT_EQ(room.size(), 3u);
  const std::string sent = qt::frame2("first") + qt::frame2("second") + qt::frame2("third");
  ASSERT_TRUE(a.send_all(sent));
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    return server.reader.get_current_queue_size() == 3;
  }));
  const uint64_t before = server.manager->get_statistics().writes;
  NetDatagram dg;
  while (server.reader.data_available() && server.reader.get_data(dg)) {
    for (const auto &member : room) ASSERT_TRUE(server.writer.send(dg, member));
  }
  EXPECT_LE(server.manager->get_statistics().writes - before, room.size() + 1);
  for (qt::RawClient *member : {&a, &b, &c}) {
    ASSERT_TRUE(member->wait_for_bytes(sent.size()));
    EXPECT_EQ(member->received(), sent);
  }
}

// A connection whose waiting output is large does not join it: the drain's last answer is
// written before send() returns, with everything the drain held for it.
TEST(ConnectionWriter, PolledDrainEndWritesLargeOutputAtOnce) {
  if (qt::test_threads() != 0) GTEST_SKIP() << "the write rule's drain is polled mode's";
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->set_send_buffer_size(4 << 20));  // the kernel takes the whole answer at once
  const std::string body(40000, 'x');  // two answers hold 80,000 bytes: over the join limit
  const std::string sent = qt::frame2(body) + qt::frame2(body);
  ASSERT_TRUE(raw.send_all(sent));
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    return server.reader.get_current_queue_size() == 2;
  }));
  NetDatagram dg;
  ASSERT_TRUE(server.reader.get_data(dg));
  ASSERT_TRUE(server.writer.send(dg, conn));
  EXPECT_GT(conn->get_pending_output(), 0u);  // mid-drain: held
  ASSERT_TRUE(server.reader.get_data(dg));
  ASSERT_TRUE(server.writer.send(dg, conn));
  EXPECT_EQ(conn->get_pending_output(), 0u);  // the drain's end: written by this send
  ASSERT_TRUE(raw.wait_for_bytes(sent.size()));
  EXPECT_EQ(raw.received(), sent);
}

TEST(ConnectionWriter, AnswersWithinADrainArriveCompleteAndInOrder) {
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  ASSERT_NE(conn, nullptr);
  constexpr int kRequests = 50;
  std::string requests, want;
  for (int i = 0; i < kRequests; ++i) {
    const std::string body = "request " + std::to_string(i);
    requests += qt::frame2(body);
    want += qt::frame2("answer to " + body) + qt::frame2("and again " + std::to_string(i));
  }
  ASSERT_TRUE(raw.send_all(requests));
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    return server.reader.get_current_queue_size() == kRequests;
  }));
  NetDatagram dg;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(server.reader.get_data(dg));
    ASSERT_TRUE(server.writer.send(Datagram("answer to " + dg.get_message()), conn));
    ASSERT_TRUE(server.writer.send(Datagram("and again " + std::to_string(i)), conn));
    if (qt::test_threads() == 0 && i + 1 < kRequests) {
      // Polled mode, mid-drain: the answers wait to go out together; nothing reached the
      // peer yet (on loopback a written byte is readable at once).
      pollfd p{raw.fd(), POLLIN, 0};
      ASSERT_EQ(::poll(&p, 1, 0), 0) << "answer " << i << " was written in the middle of the drain";
    }
  }
  // The last datagram is taken, nothing waits: everything goes out, whole and in order.
  ASSERT_TRUE(raw.wait_for_bytes(want.size()));
  EXPECT_EQ(raw.received(), want);
}

TEST(ConnectionWriter, ADrainThatDoesNotEndWritesWhatItsSendsHoldPastTheBound) {
  // A server that stays behind its clients never sees its reader queue empty; what it sends
  // must not all wait for that. Answers of 8 KiB to one connection each, one connection more
  // than the drain's bound takes: once the answers reach it they go out, while the last
  // datagram still waits to be taken.
  constexpr size_t kAnswer = 8192;
  constexpr size_t kClients = queuednet::detail::kDrainHeldBytes / kAnswer + 1;
  qt::Server server;
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  for (size_t i = 0; i < kClients; ++i) clients.push_back(std::make_unique<qt::RawClient>(server.port));
  ASSERT_EQ(server.accept_n(kClients).size(), kClients);
  for (size_t i = 0; i < kClients; ++i) ASSERT_TRUE(clients[i]->send_all(qt::frame2(std::to_string(i))));
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    return server.reader.get_current_queue_size() == kClients;
  }));
  const auto answer = [&](size_t i) { return std::string(kAnswer, static_cast<char>('a' + i % 26)); };
  NetDatagram dg;
  std::vector<size_t> answered;
  for (size_t n = 0; n + 1 < kClients; ++n) {
    ASSERT_TRUE(qt::eventually([&] { return server.reader.get_data(dg); }));  // workers: may still be queueing
    const size_t i = std::stoul(dg.get_message());
    answered.push_back(i);
    ASSERT_TRUE(server.writer.send(Datagram(answer(i)), dg.get_connection()));
  }
  for (size_t i : answered) {
    ASSERT_TRUE(clients[i]->wait_for_bytes(2 + kAnswer)) << "client " << i << " got no answer mid-drain";
    EXPECT_EQ(clients[i]->received(), qt::frame2(answer(i)));
  }
  // The last one: the drain ends and its answer goes out too.
  ASSERT_TRUE(qt::eventually([&] { return server.reader.get_data(dg); }));
  const size_t last = std::stoul(dg.get_message());
  ASSERT_TRUE(server.writer.send(Datagram(answer(last)), dg.get_connection()));
  ASSERT_TRUE(clients[last]->wait_for_bytes(2 + kAnswer));
  EXPECT_EQ(clients[last]->received(), qt::frame2(answer(last)));
}

TEST(ConnectionWriter, PolledSendWhoseWriteFailsReturnsFalseAndReportsTheResetOnce) {
  if (qt::test_threads() > 0) GTEST_SKIP() << "threaded writers write on their worker; send() cannot see the failure";
  qt::Server server;
  auto raw = std::make_unique<qt::RawClient>(server.port);
  std::shared_ptr<Connection> conn;
  ASSERT_TRUE(qt::eventually([&] {
    return server.listener.new_connection_available() && server.listener.get_new_connection(conn);
  }));  // not added to the reader: only a write can find out the peer is gone
  linger abortive{1, 0};
  ::setsockopt(raw->fd(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  raw.reset();  // RST
  const Datagram dg(std::string_view("into the void"));
  bool sent = true;
  // The RST may race the first send; a send the burst rule holds returns true, and the call
  // after it writes it, which fails.
  for (int i = 0; i < 100 && sent; ++i) {
    sent = server.writer.send(dg, conn);
    if (sent) server.reader.data_available();
  }
  EXPECT_FALSE(sent);
  EXPECT_EQ(last_error().code, make_error_code(errc::connection_closed));
  EXPECT_FALSE(conn->is_open());
  std::shared_ptr<Connection> lost;
  ASSERT_TRUE(server.manager->get_reset_connection(lost));
  EXPECT_EQ(lost, conn);
  EXPECT_FALSE(server.writer.send(dg, conn));  // refused as closed, not reported again
  EXPECT_FALSE(server.manager->reset_connection_available());
}
