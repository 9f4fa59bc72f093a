// Tests for the batch calls over real loopback sockets: QueuedConnectionReader::get_data(span)
// (how many it takes, with which connection, mixed with single calls and across threads) and
// ConnectionWriter::send_batch (order per connection, also among send() calls, what it
// returns, refusals, the high-water mark, and the polled write rule for a batch).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;
using Outgoing = ConnectionWriter::Outgoing;

namespace {

// Raw clients of a server, each with the server's connection for it.
struct Peers {
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  std::vector<std::shared_ptr<Connection>> conns;  // conns[i] carries clients[i]'s bytes
};

uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
  return ntohs(a.sin_port);
}

// Connects `n` raw clients and matches each to its accepted connection by port (fewer
// connections on timeout).
Peers connect_peers(qt::Server &server, size_t n) {
  Peers peers;
  for (size_t i = 0; i < n; ++i) peers.clients.push_back(std::make_unique<qt::RawClient>(server.port));
  const auto accepted = server.accept_n(n);
  for (const auto &client : peers.clients) {
    for (const auto &c : accepted) {
      if (c->get_address().get_port() == local_port(client->fd())) peers.conns.push_back(c);
    }
  }
  return peers;
}

std::string numbered(size_t client, uint32_t seq) { return std::to_string(client) + ":" + std::to_string(seq); }

bool parse_numbered(const std::string &message, size_t &client, uint32_t &seq) {
  const size_t colon = message.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == message.size()) return false;
  client = std::stoul(message.substr(0, colon));
  seq = static_cast<uint32_t>(std::stoul(message.substr(colon + 1)));
  return true;
}

// Files a taken datagram under its client in `seen` (one consumer's view); false if it is not
// numbered, or did not come with that client's connection and address.
bool record(const NetDatagram &dg, const Peers &peers, std::vector<std::vector<uint32_t>> &seen) {
  size_t client = 0;
  uint32_t seq = 0;
  if (!parse_numbered(dg.get_message(), client, seq) || client >= peers.conns.size()) return false;
  seen[client].push_back(seq);
  return dg.get_connection() == peers.conns[client] && dg.get_address() == peers.conns[client]->get_address();
}

// The client's datagrams `from` .. `to`-1, framed, in one string.
std::string numbered_wire(size_t client, uint32_t from, uint32_t to) {
  std::string wire;
  for (uint32_t s = from; s < to; ++s) wire += qt::frame2(numbered(client, s));
  return wire;
}

// Reads every client (turning the server's loop) until each holds as many bytes as want says.
bool receive_all(qt::Server &server, Peers &peers, const std::vector<std::string> &want) {
  return qt::eventually([&] {
    server.reader.poll();
    bool all = true;
    for (size_t i = 0; i < peers.clients.size(); ++i) {
      peers.clients[i]->read_available();
      all = all && peers.clients[i]->received().size() >= want[i].size();
    }
    return all;
  });
}

// The payloads of a 2-byte-framed stream; a trailing partial frame is left out.
std::vector<std::string> frames2(const std::string &wire) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at + 2 <= wire.size()) {
    const size_t size = static_cast<unsigned char>(wire[at]) | (static_cast<size_t>(static_cast<unsigned char>(wire[at + 1])) << 8);
    if (at + 2 + size > wire.size()) break;
    out.push_back(wire.substr(at + 2, size));
    at += 2 + size;
  }
  return out;
}

}  // namespace

TEST(BatchCalls, GetDataSpanMixedWithSingleCallsTakesEachDatagramOnceInOrder) {
  constexpr size_t kClients = 3;
  constexpr uint32_t kEach = 300;
  constexpr size_t kTotal = kClients * kEach;
  qt::Server server;
  Peers peers = connect_peers(server, kClients);
  ASSERT_EQ(peers.conns.size(), kClients);
  std::vector<NetDatagram> buffer(64);
  EXPECT_FALSE(server.reader.data_available());
  EXPECT_EQ(server.reader.get_data(std::span<NetDatagram>(buffer)), 0u);  // nothing queued

  // The clients take turns, one datagram each, and the server queues each before the next is
  // sent: neighbours in the queue come from different connections. Each connection's input
  // budget (1024) holds all of its datagrams.
  for (uint32_t s = 0; s < kEach; ++s) {
    for (size_t c = 0; c < kClients; ++c) {
      ASSERT_TRUE(peers.clients[c]->send_all(numbered_wire(c, s, s + 1)));
      const int queued = static_cast<int>(s * kClients + c + 1);
      ASSERT_TRUE(qt::eventually([&] {
        server.reader.poll();
        return server.reader.get_current_queue_size() == queued;
      }));
    }
  }
  // Every datagram queued: from here on, with one consumer, a batch takes as many as it has
  // room for, or as remain.
  EXPECT_EQ(server.reader.get_data(std::span<NetDatagram>()), 0u);  // no room: takes nothing
  EXPECT_EQ(server.reader.get_current_queue_size(), static_cast<int>(kTotal));

  const size_t sizes[] = {1, 7, 0, 16, 3, 64, 2};
  std::vector<std::vector<std::vector<uint32_t>>> seen(1, std::vector<std::vector<uint32_t>>(kClients));
  size_t taken = 0, wrong = 0;
  NetDatagram single;
  for (size_t call = 0; taken < kTotal; ++call) {
    ASSERT_LT(call, 4 * kTotal) << "the calls stopped taking datagrams";
    if (call % 3 == 2) {
      ASSERT_TRUE(server.reader.get_data(single)) << "call " << call;
      wrong += !record(single, peers, seen[0]);
      ++taken;
      continue;
    }
    const size_t size = sizes[call % std::size(sizes)];
    const size_t n = server.reader.get_data(std::span<NetDatagram>(buffer.data(), size));
    ASSERT_EQ(n, std::min(size, kTotal - taken)) << "call " << call << ", room for " << size;
    for (size_t i = 0; i < n; ++i) wrong += !record(buffer[i], peers, seen[0]);
    taken += n;
  }
  EXPECT_EQ(wrong, 0u) << "datagrams with a wrong number, connection or address";
  EXPECT_EQ(qt::check_each_once_in_order(seen, kEach), "");
  EXPECT_EQ(server.reader.get_data(std::span<NetDatagram>(buffer)), 0u);  // empty again
  EXPECT_FALSE(server.reader.data_available());
}

TEST(BatchCalls, GetDataSpanFromSeveralThreadsWhileDatagramsArrive) {
  constexpr size_t kClients = 3, kConsumers = 3;
  constexpr uint32_t kEach = 3000;
  constexpr size_t kTotal = kClients * kEach;
  qt::Server server;
  Peers peers = connect_peers(server, kClients);
  ASSERT_EQ(peers.conns.size(), kClients);
  std::atomic<size_t> taken{0}, wrong{0}, overfull{0};
  std::vector<std::vector<std::vector<uint32_t>>> seen(kConsumers, std::vector<std::vector<uint32_t>>(kClients));
  std::vector<std::thread> consumers;
  for (size_t t = 0; t < kConsumers; ++t) {
    // Consumer t alternates batches of 4 + 6t with single calls.
    consumers.emplace_back([&, t] {
      std::vector<NetDatagram> buffer(4 + 6 * t);
      NetDatagram single;
      size_t call = 0;
      qt::eventually([&] {
        for (;;) {
          size_t n;
          if (++call % 2 == 0) {
            n = server.reader.get_data(single) ? 1 : 0;
            if (n == 1 && !record(single, peers, seen[t])) wrong.fetch_add(1);
          } else {
            n = server.reader.get_data(std::span<NetDatagram>(buffer));
            if (n > buffer.size()) overfull.fetch_add(1);
            for (size_t i = 0; i < std::min(n, buffer.size()); ++i) {
              if (!record(buffer[i], peers, seen[t])) wrong.fetch_add(1);
            }
          }
          if (n == 0) break;
          taken.fetch_add(n);
        }
        if (taken.load() < kTotal) server.reader.wait_for_data(0.01);
        return taken.load() >= kTotal;
      }, std::chrono::seconds(60));
    });
  }
  for (uint32_t from = 0; from < kEach; from += 250) {
    for (size_t c = 0; c < kClients; ++c) EXPECT_TRUE(peers.clients[c]->send_all(numbered_wire(c, from, from + 250)));
  }
  for (auto &t : consumers) t.join();
  EXPECT_EQ(taken.load(), kTotal);
  EXPECT_EQ(overfull.load(), 0u) << "a batch returned more than its span holds";
  EXPECT_EQ(wrong.load(), 0u) << "datagrams with a wrong number, connection or address";
  EXPECT_EQ(qt::check_each_once_in_order(seen, kEach), "");
}

TEST(BatchCalls, SendBatchToSeveralConnectionsKeepsEachOrderAmongPlainSends) {
  constexpr size_t kClients = 3;
  qt::Server server;
  Peers peers = connect_peers(server, kClients);
  ASSERT_EQ(peers.conns.size(), kClients);
  EXPECT_EQ(server.writer.send_batch({}), 0u);
  std::vector<std::string> want(kClients);
  std::vector<uint32_t> next(kClients, 0);
  for (uint32_t round = 0; round < 40; ++round) {
    // A batch of 1 to 4 datagrams per connection, the connections interleaved (starting with a
    // different one each round), then one plain send() to each.
    std::vector<std::string> payloads;
    payloads.reserve(4 * kClients);  // Outgoing points into them
    std::vector<Outgoing> batch;
    for (uint32_t k = 0; k <= round % 4; ++k) {
      for (size_t i = 0; i < kClients; ++i) {
        const size_t c = (i + round) % kClients;
        payloads.push_back(numbered(c, next[c]++) + std::string(round * 37 % 300, '.'));
        want[c] += qt::frame2(payloads.back());
        batch.push_back({payloads.back().data(), payloads.back().size(), &peers.conns[c]});
      }
    }
    ASSERT_EQ(server.writer.send_batch(batch), batch.size()) << last_error().message;
    for (size_t c = 0; c < kClients; ++c) {
      const std::string body = numbered(c, next[c]++);
      ASSERT_TRUE(server.writer.send(Datagram(body), peers.conns[c])) << last_error().message;
      want[c] += qt::frame2(body);
    }
  }
  ASSERT_TRUE(receive_all(server, peers, want));
  for (size_t c = 0; c < kClients; ++c) EXPECT_TRUE(peers.clients[c]->received() == want[c]) << "client " << c;
}

TEST(BatchCalls, SendBatchCountsWhatItAcceptedAndARefusalStopsNothing) {
  qt::Server server;
  Peers peers = connect_peers(server, 3);
  ASSERT_EQ(peers.conns.size(), 3u);
  const std::shared_ptr<Connection> &a = peers.conns[0], &b = peers.conns[1], &closed = peers.conns[2];
  const std::shared_ptr<Connection> null;
  const std::shared_ptr<Connection> udp = server.manager->open_UDP_connection(0);
  ASSERT_NE(udp, nullptr);
  ASSERT_TRUE(server.manager->close_connection(closed));
  const std::string a0 = "a0", a1 = "a1", a2 = "a2", a3 = "a3", a4 = "a4", b0 = "b0", b1 = "b1", b2 = "b2",
                    b3 = "b3", too_large(65536, 'x');
  struct Case {
    std::vector<Outgoing> batch;
    size_t accepted;
    errc reason;
  };
  const Case cases[] = {
      {{{a0.data(), a0.size(), &a}, {b0.data(), 1, &null}, {b0.data(), b0.size(), &b}, {a1.data(), a1.size(), &a}},
       3,
       errc::invalid_argument},
      {{{a2.data(), a2.size(), &a}, {b1.data(), b1.size(), &udp}, {b1.data(), b1.size(), &b}}, 2,
       errc::wrong_connection_kind},
      {{{b2.data(), b2.size(), &b}, {too_large.data(), too_large.size(), &a}, {a3.data(), a3.size(), &a}}, 2,
       errc::datagram_too_large},
      {{{a4.data(), a4.size(), &closed}, {a4.data(), a4.size(), &a}, {b3.data(), b3.size(), &b}}, 2,
       errc::connection_closed},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    clear_last_error();
    EXPECT_EQ(server.writer.send_batch(cases[i].batch), cases[i].accepted) << "batch " << i;
    EXPECT_EQ(last_error().code, make_error_code(cases[i].reason)) << "batch " << i << ": " << last_error().message;
  }
  // Each connection received what was accepted for it, in order, and nothing refused.
  const std::vector<std::string> want = {qt::frame2(a0) + qt::frame2(a1) + qt::frame2(a2) + qt::frame2(a3) + qt::frame2(a4),
                                         qt::frame2(b0) + qt::frame2(b1) + qt::frame2(b2) + qt::frame2(b3), ""};
  ASSERT_TRUE(receive_all(server, peers, want));
  EXPECT_EQ(peers.clients[0]->received(), want[0]);
  EXPECT_EQ(peers.clients[1]->received(), want[1]);
  ASSERT_TRUE(qt::eventually([&] {  // the closed one got nothing before its end
    server.reader.poll();
    peers.clients[2]->read_available();
    return peers.clients[2]->peer_closed();
  }));
  EXPECT_EQ(peers.clients[2]->received(), "");
}

TEST(BatchCalls, SendBatchRefusesPastTheHighWaterMarkUnlessBlock) {
  constexpr size_t kMark = 64 * 1024;
  qt::Server server;
  server.writer.set_max_queue_size(kMark);
  // A client that never reads, with small socket buffers at both ends: the kernel takes little
  // of what is sent to it.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int small = 4096;
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  auto stuck = qt::RawClient::connect_socket(fd, server.port);
  ASSERT_TRUE(stuck->connected());
  auto stuck_conn = server.accept_one();
  ASSERT_NE(stuck_conn, nullptr);
  ASSERT_TRUE(stuck_conn->set_send_buffer_size(small));
  qt::RawClient healthy(server.port);
  auto healthy_conn = server.accept_one();
  ASSERT_NE(healthy_conn, nullptr);
  // 1 MiB queued for it with block (past the mark); the kernel's buffers hold a few KiB of it,
  // so it stays past the mark until the client reads.
  std::string stuck_want;
  for (unsigned i = 0; i < 32; ++i) {
    const std::string p = qt::pattern(32000, i);
    ASSERT_TRUE(server.writer.send(Datagram(p), stuck_conn, true)) << last_error().message;
    stuck_want += qt::frame2(p);
  }
  ASSERT_GT(stuck_conn->get_pending_output(), 8 * kMark);

  const std::string refused = "refused", healthy0 = "healthy 0", blocked = "blocked", healthy1 = "healthy 1";
  const Outgoing past_mark[] = {{refused.data(), refused.size(), &stuck_conn},
                                {healthy0.data(), healthy0.size(), &healthy_conn},
                                {refused.data(), refused.size(), &stuck_conn}};
  clear_last_error();
  EXPECT_EQ(server.writer.send_batch(past_mark), 1u);
  EXPECT_EQ(last_error().code, make_error_code(errc::output_buffer_full)) << last_error().message;
  const Outgoing with_block[] = {{blocked.data(), blocked.size(), &stuck_conn},
                                 {healthy1.data(), healthy1.size(), &healthy_conn}};
  EXPECT_EQ(server.writer.send_batch(with_block, true), 2u) << last_error().message;
  stuck_want += qt::frame2(blocked);

  // The other client is served meanwhile; once the stuck one reads, it gets everything
  // accepted for it, in order, and nothing refused.
  const std::string healthy_want = qt::frame2(healthy0) + qt::frame2(healthy1);
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    healthy.read_available();
    return healthy.received().size() >= healthy_want.size();
  }));
  EXPECT_EQ(healthy.received(), healthy_want);
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    stuck->read_available();
    return stuck->received().size() >= stuck_want.size();
  }));
  EXPECT_TRUE(stuck->received() == stuck_want);
}

TEST(BatchCalls, SendBatchIsWrittenAfterItsLastDatagram) {
  // The mark holds four of these frames: a batch queued whole before any of it is written
  // (polled mode) has exactly four accepted per connection; with workers, a worker may write
  // some in the meantime and let more in.
  constexpr size_t kPayload = 1000, kFrame = kPayload + 2, kPerConnection = 10;
  qt::Server server;
  server.writer.set_max_queue_size(4 * kFrame);
  Peers peers = connect_peers(server, 2);
  ASSERT_EQ(peers.conns.size(), 2u);
  std::vector<std::string> payloads;
  std::vector<Outgoing> batch;
  payloads.reserve(2 * kPerConnection);
  for (uint32_t s = 0; s < kPerConnection; ++s) {
    for (size_t c = 0; c < 2; ++c) {
      payloads.push_back(numbered(c, s));
      payloads.back().resize(kPayload, '.');
      batch.push_back({payloads.back().data(), kPayload, &peers.conns[c]});
    }
  }
  const size_t accepted = server.writer.send_batch(batch);
  if (qt::test_threads() == 0) {
    EXPECT_EQ(accepted, 8u);
    EXPECT_EQ(last_error().code, make_error_code(errc::output_buffer_full));
  } else {
    EXPECT_GE(accepted, 8u);
  }
  // Nothing waits to be read: what was accepted reaches the peers while the server does
  // nothing more.
  ASSERT_TRUE(qt::eventually([&] {
    size_t bytes = 0;
    for (auto &client : peers.clients) {
      client->read_available();
      bytes += client->received().size();
    }
    return bytes >= accepted * kFrame;
  }));
  // Each client got an increasing run of its own datagrams; together, all those accepted.
  size_t arrived = 0;
  for (size_t c = 0; c < 2; ++c) {
    std::vector<uint32_t> seqs;
    for (const std::string &p : frames2(peers.clients[c]->received())) {
      size_t from = 0;
      uint32_t seq = 0;
      ASSERT_TRUE(parse_numbered(p.substr(0, p.find('.')), from, seq));
      EXPECT_EQ(from, c);
      seqs.push_back(seq);
    }
    EXPECT_TRUE(std::adjacent_find(seqs.begin(), seqs.end(), std::greater_equal<>()) == seqs.end())
        << "client " << c << " got its datagrams out of order or twice";
    if (qt::test_threads() == 0) {
      EXPECT_EQ(seqs, (std::vector<uint32_t>{0, 1, 2, 3})) << "client " << c;
    }
    arrived += seqs.size();
  }
  EXPECT_EQ(arrived, accepted);
}

TEST(BatchCalls, SendBatchMidDrainWaitsForTheDrainsEnd) {
  constexpr int kRequests = 20;
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(raw.send_all(numbered_wire(0, 0, kRequests)));
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    return server.reader.get_current_queue_size() == kRequests;
  }));
  std::string want;
  NetDatagram dg;
  for (int i = 0; i < kRequests; ++i) {
    // The queue's size counts a datagram being pushed before get_data() can take it.
    ASSERT_TRUE(qt::eventually([&] { return server.reader.get_data(dg); }));
    const std::string first = "answer to " + dg.get_message(), second = "and again " + std::to_string(i);
    const Outgoing answers[] = {{first.data(), first.size(), &conn}, {second.data(), second.size(), &conn}};
    ASSERT_EQ(server.writer.send_batch(answers), 2u) << last_error().message;
    want += qt::frame2(first) + qt::frame2(second);
    if (qt::test_threads() == 0 && i + 1 < kRequests) {
      // Polled mode, datagrams still waiting to be read: the batch is not written yet (on
      // loopback a written byte is readable at once).
      pollfd p{raw.fd(), POLLIN, 0};
      ASSERT_EQ(::poll(&p, 1, 0), 0) << "batch " << i << " was written in the middle of the drain";
    }
  }
  // The last datagram is taken: everything goes out, whole and in order, with no further call.
  ASSERT_TRUE(raw.wait_for_bytes(want.size()));
  EXPECT_EQ(raw.received(), want);
}
