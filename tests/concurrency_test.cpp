// Concurrency through the public API: many consumer threads, non-reading clients, shutdown
// under load. Run in every mode; meaningful above all with workers (QUEUEDNET_TEST_THREADS>0).
#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

TEST(Concurrency, EightConsumersTwoHundredConnectionsEveryDatagramOnce) {
  constexpr int kConnections = 200, kPerConnection = 5000;
  qt::Server server;
  server.reader.set_max_queue_size(kConnections * kPerConnection);  // consumers may fall behind
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  for (int i = 0; i < kConnections; ++i) clients.push_back(std::make_unique<qt::RawClient>(server.port));
  const auto conns = server.accept_n(kConnections);
  ASSERT_EQ(conns.size(), static_cast<size_t>(kConnections));
  std::map<const Connection *, int> index;
  for (int i = 0; i < kConnections; ++i) index[conns[i].get()] = i;

  // Each consumer records, per connection, the sequence numbers it took, in the order taken.
  std::atomic<int> taken{0};
  std::vector<std::vector<std::vector<uint32_t>>> seen(8, std::vector<std::vector<uint32_t>>(kConnections));
  std::vector<std::thread> consumers;
  for (int t = 0; t < 8; ++t) {
    consumers.emplace_back([&, t] {
      NetDatagram dg;
      qt::eventually([&] {
        while (server.reader.get_data(dg)) {
          seen[t][index.at(dg.get_connection().get())].push_back(DatagramIterator(dg).get_uint32());
          taken.fetch_add(1);
        }
        if (taken.load() < kConnections * kPerConnection) server.reader.wait_for_data(0.01);
        return taken.load() >= kConnections * kPerConnection;
      }, std::chrono::seconds(300));
    });
  }
  for (uint32_t seq = 0; seq < kPerConnection; seq += 500) {  // send in slices from every client
    for (auto &c : clients) {
      std::string wire;
      for (uint32_t s = seq; s < seq + 500; ++s) {
        Datagram dg;
        dg.add_uint32(s);
        wire += qt::frame2(dg.get_message());
      }
      ASSERT_TRUE(c->send_all(wire));
    }
  }
  for (auto &t : consumers) t.join();
  EXPECT_FALSE(server.reader.get_overflow_flag());
  ASSERT_EQ(taken.load(), kConnections * kPerConnection);
  EXPECT_EQ(qt::check_each_once_in_order(seen, static_cast<size_t>(kPerConnection)), "");
}

TEST(Concurrency, OneConsumerSeesEveryConnectionInOrder) {
  constexpr int kConnections = 50, kPerConnection = 2000;
  qt::Server server;
  server.reader.set_max_queue_size(kConnections * kPerConnection);  // one poll may read it all
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  for (int i = 0; i < kConnections; ++i) clients.push_back(std::make_unique<qt::RawClient>(server.port));
  const auto conns = server.accept_n(kConnections);
  std::thread sender([&] {
    for (auto &c : clients) {
      std::string wire;
      for (uint32_t s = 0; s < kPerConnection; ++s) wire += qt::frame2(std::string(reinterpret_cast<char *>(&s), 4));
      c->send_all(wire);
    }
  });
  std::map<const Connection *, uint32_t> next;
  int total = 0;
  bool ordered = true;
  qt::eventually([&] {
    NetDatagram dg;
    while (server.reader.data_available() && server.reader.get_data(dg)) {
      const uint32_t s = DatagramIterator(dg).get_uint32();
      ordered = ordered && s == next[dg.get_connection().get()]++;
      ++total;
    }
    return total == kConnections * kPerConnection;
  }, std::chrono::seconds(120));
  sender.join();
  EXPECT_FALSE(server.reader.get_overflow_flag());
  EXPECT_TRUE(ordered);
  EXPECT_EQ(total, kConnections * kPerConnection);
}

TEST(Concurrency, NonReadingClientDoesNotStallHundredOthers) {
  qt::Server server;
  server.writer.set_max_queue_size(128 * 1024);
  qt::RawClient stuck(server.port);
  auto stuck_conn = server.accept_n(1).at(0);
  stuck_conn->set_send_buffer_size(4096);
  std::vector<std::unique_ptr<qt::RawClient>> others;
  for (int i = 0; i < 100; ++i) others.push_back(std::make_unique<qt::RawClient>(server.port));
  const auto conns = server.accept_n(100);
  ASSERT_EQ(conns.size(), 100u);
  const Datagram big(std::string(8000, 's'));
  int refused = 0;
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < 10; ++k) refused += server.writer.send(big, stuck_conn) ? 0 : 1;
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(server.writer.send(Datagram("r" + std::to_string(round)), conns[i]));
    }
  }
  EXPECT_GT(refused, 0);  // the stuck client hit its high-water mark
  EXPECT_LE(stuck_conn->get_pending_output(), 128u * 1024u + 8002u);
  // Every other client got all 20 of its datagrams.
  std::string want;
  for (int round = 0; round < 20; ++round) want += qt::frame2("r" + std::to_string(round));
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    bool all = true;
    for (int i = 0; i < 100; ++i) {
      others[i]->read_available();
      all = all && others[i]->received().size() >= want.size();
    }
    return all;
  }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(others[i]->received(), want) << i;
}

TEST(Concurrency, ShutdownUnderLoadLosesNothingAccepted) {
  constexpr int kClients = 20, kDatagrams = 300;
  auto server = std::make_unique<qt::Server>();
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<qt::RawClient>(server->port));
  const auto conns = server->accept_n(kClients);
  ASSERT_EQ(conns.size(), static_cast<size_t>(kClients));
  // Clients read on their own thread until the server closes them.
  std::atomic<bool> reading{true};
  std::thread drain([&] {
    qt::eventually([&] {
      bool all_closed = true;
      for (auto &c : clients) {
        if (!c->peer_closed()) c->read_available();
        all_closed = all_closed && c->peer_closed();
      }
      return all_closed;
    }, std::chrono::seconds(60));
    reading = false;
  });
  std::vector<std::string> accepted(kClients);
  for (int d = 0; d < kDatagrams; ++d) {
    for (int i = 0; i < kClients; ++i) {
      const std::string payload = qt::pattern(2000, static_cast<unsigned>(i * kDatagrams + d));
      if (server->writer.send(Datagram(payload), conns[i], true)) accepted[i] += qt::frame2(payload);
    }
  }
  server.reset();  // flushes what was accepted, then closes every connection
  drain.join();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_TRUE(clients[i]->peer_closed());
    EXPECT_TRUE(clients[i]->received() == accepted[i])
        << "client " << i << ": " << clients[i]->received().size() << " of " << accepted[i].size() << " bytes";
  }
}

TEST(Concurrency, QueuedDatagramsStayGettableAfterManagerShutdown) {
  auto manager = qt::make_manager();
  auto reader = std::make_unique<QueuedConnectionReader>(manager.get(), 0);
  QueuedConnectionListener listener(manager.get(), 0);
  std::shared_ptr<Connection> rendezvous;
  const uint16_t port = qt::listen_local(*manager, rendezvous);
  listener.add_connection(rendezvous);
  qt::RawClient raw(port);
  std::shared_ptr<Connection> conn;
  ASSERT_TRUE(qt::eventually([&] { return listener.new_connection_available() && listener.get_new_connection(conn); }));
  reader->add_connection(conn);
  ASSERT_TRUE(raw.send_all(qt::frame2("kept") + qt::frame2("also kept")));
  ASSERT_TRUE(qt::eventually([&] { reader->poll(); return reader->get_current_queue_size() == 2; }));
  manager.reset();  // the reader, the listener and the connection outlive the manager
  EXPECT_EQ(reader->get_manager(), nullptr);
  EXPECT_FALSE(conn->is_open());
  EXPECT_FALSE(reader->add_connection(conn));
  NetDatagram dg;
  ASSERT_TRUE(reader->get_data(dg));
  EXPECT_EQ(dg.get_message(), "kept");
  EXPECT_EQ(dg.get_connection(), conn);
  ASSERT_TRUE(reader->get_data(dg));
  EXPECT_EQ(dg.get_message(), "also kept");
  reader.reset();  // destroying the rest after the manager is safe
}

namespace {

// Accepts one connection without adding it to any reader.
std::shared_ptr<Connection> accept_unread(qt::Server &server) {
  std::shared_ptr<Connection> c;
  qt::eventually([&] { return server.listener.new_connection_available() && server.listener.get_new_connection(c); });
  return c;
}

// Takes every queued datagram of `reader`, appending their numbers (payloads are decimal).
void take_all(QueuedConnectionReader &reader, std::vector<int> &numbers) {
  NetDatagram dg;
  while (reader.get_data(dg)) numbers.push_back(std::stoi(dg.get_message()));
}

}  // namespace

TEST(Concurrency, RemoveFromAnotherThreadAfterAddAlwaysWins) {
  qt::Server server;
  QueuedConnectionReader other(server.manager.get(), 0);
  qt::RawClient raw(server.port);
  auto conn = accept_unread(server);
  ASSERT_NE(conn, nullptr);
  for (int round = 0; round < 300; ++round) {
    std::atomic<bool> added{false};
    std::thread adder([&] {
      EXPECT_TRUE(server.reader.add_connection(conn));
      added.store(true);
    });
    std::thread remover([&] {
      while (!added.load()) std::this_thread::yield();
      EXPECT_TRUE(server.reader.remove_connection(conn));  // returns after add returned: it wins
    });
    adder.join();
    remover.join();
  }
  // Whatever order the loop saw the requests in, the connection is not read for that reader:
  // bytes sent now wait for the next reader, and reach it.
  ASSERT_TRUE(raw.send_all(qt::frame2("1") + qt::frame2("2")));
  ASSERT_TRUE(other.add_connection(conn));
  std::vector<int> got;
  ASSERT_TRUE(qt::eventually([&] {
    other.poll();
    take_all(other, got);
    return got.size() == 2;
  }));
  EXPECT_EQ(got, (std::vector<int>{1, 2}));
  EXPECT_EQ(server.reader.get_num_datagrams_received(), 0u);
  EXPECT_FALSE(server.reader.data_available());
}

TEST(Concurrency, AfterRemoveReturnsNothingMoreReachesThatReader) {
  constexpr int kFrames = 20000;
  qt::Server server;
  QueuedConnectionReader other(server.manager.get(), 0);
  qt::RawClient raw(server.port);
  auto conn = accept_unread(server);
  ASSERT_NE(conn, nullptr);
  std::thread sender([&] {  // a steady stream while the connection moves between readers
    for (int i = 0; i < kFrames; i += 100) {
      std::string chunk;
      for (int j = i; j < i + 100; ++j) chunk += qt::frame2(std::to_string(j));
      ASSERT_TRUE(raw.send_all(chunk));
    }
  });
  std::vector<int> first, second;
  QueuedConnectionReader *readers[2] = {&server.reader, &other};
  std::vector<int> *sinks[2] = {&first, &second};
  uint64_t received_at_removal[2] = {0, 0};
  for (int round = 0; first.size() + second.size() < static_cast<size_t>(kFrames); ++round) {
    ASSERT_LT(round, 1000000);
    const int r = round % 2;
    // Nothing reached this reader since it was removed.
    ASSERT_EQ(readers[r]->get_num_datagrams_received(), received_at_removal[r]) << "round " << round;
    ASSERT_TRUE(readers[r]->add_connection(conn));
    for (int turn = 0; turn < 3; ++turn) {
      readers[r]->poll();
      take_all(*readers[r], *sinks[r]);
    }
    ASSERT_TRUE(readers[r]->remove_connection(conn));
    received_at_removal[r] = readers[r]->get_num_datagrams_received();
    take_all(*readers[r], *sinks[r]);  // delivered before the removal: still queued, still ours
  }
  sender.join();
  // Each datagram went to exactly one reader, and the stream stayed in order.
  std::vector<int> all = first;
  all.insert(all.end(), second.begin(), second.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) ASSERT_EQ(all[i], i);
  EXPECT_TRUE(std::is_sorted(first.begin(), first.end()));
  EXPECT_TRUE(std::is_sorted(second.begin(), second.end()));
}
