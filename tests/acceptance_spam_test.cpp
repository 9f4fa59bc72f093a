// SPAM-1 (spec §6.5), bounded: ten client threads each send their datagrams as fast as the
// writer takes them while reading; the server (1-thread listener, 10-thread reader and writer)
// re-broadcasts every datagram to every client. Every client receives every datagram exactly
// once, each sender's in order, none corrupt, no queue overflow, no reset anywhere.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

namespace {

constexpr int kClients = 10;
constexpr uint32_t kPerClient = 200;

Datagram spam(uint8_t client, uint32_t seq) {
  Datagram dg;
  dg.add_uint8(client);
  dg.add_uint32(seq);
  dg.add_string(qt::pattern(10 + seq % 150, client * 100000u + seq));
  return dg;
}

// What one client thread saw.
struct Tally {
  uint32_t received = 0;
  uint32_t corrupt = 0;
  uint32_t out_of_order = 0;
  std::vector<uint32_t> next_seq = std::vector<uint32_t>(kClients, 0);
  bool send_failed = false;

  void take(const Datagram &dg) {
    ++received;
    try {
      DatagramIterator it(dg);
      const uint8_t from = it.get_uint8();
      const uint32_t seq = it.get_uint32();
      if (from >= kClients || !(dg == spam(from, seq))) {
        ++corrupt;
        return;
      }
      if (seq != next_seq[from]) ++out_of_order;
      next_seq[from] = seq + 1;
    } catch (const DatagramError &) {
      ++corrupt;
    }
  }
};

}  // namespace

TEST(AcceptanceSpam, Spam1TenClientThreadsServerRebroadcastsEverything) {
  auto manager = qt::make_manager();
  QueuedConnectionListener listener(manager.get(), 1);
  QueuedConnectionReader reader(manager.get(), 10);
  ConnectionWriter writer(manager.get(), 10);
  std::shared_ptr<Connection> rendezvous;
  const uint16_t port = qt::listen_local(*manager, rendezvous);
  listener.add_connection(rendezvous);

  std::vector<std::unique_ptr<qt::Client>> clients;
  std::vector<std::shared_ptr<Connection>> conns;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<qt::Client>(port));
    ASSERT_NE(clients.back()->connection, nullptr) << last_error().message;
    std::shared_ptr<Connection> c;
    ASSERT_TRUE(qt::eventually([&] { return listener.new_connection_available() && listener.get_new_connection(c); }));
    reader.add_connection(c);
    conns.push_back(c);
  }

  constexpr uint32_t kTotal = kClients * kPerClient;
  std::vector<Tally> tallies(kClients);
  std::atomic<int> clients_done{0};
  std::vector<std::jthread> threads;  // joined on every exit, early ASSERT returns included
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      qt::Client &c = *clients[i];
      Tally &t = tallies[i];
      NetDatagram dg;
      auto drain = [&] {
        while (c.reader.data_available() && c.reader.get_data(dg)) t.take(dg);
      };
      for (uint32_t seq = 0; seq < kPerClient; ++seq) {
        if (!c.writer.send(spam(static_cast<uint8_t>(i), seq), c.connection)) t.send_failed = true;
        drain();
      }
      qt::eventually([&] {
        drain();
        return t.received >= kTotal;
      }, std::chrono::seconds(120));
      clients_done.fetch_add(1);
    });
  }

  // The server: every datagram to every client, in the order it was taken.
  uint32_t relayed = 0, send_failures = 0;
  qt::eventually([&] {
    NetDatagram dg;
    while (reader.data_available() && reader.get_data(dg)) {
      for (auto &c : conns) send_failures += writer.send(dg, c) ? 0 : 1;
      ++relayed;
    }
    if (relayed < kTotal) reader.wait_for_data(0.05);
    return relayed == kTotal;
  }, std::chrono::seconds(120));
  // Keep the server's loop turning (polled mode writes there) until every client is done.
  qt::eventually([&] {
    reader.poll();
    return clients_done.load() == kClients;
  }, std::chrono::seconds(120));
  for (auto &t : threads) t.join();

  EXPECT_EQ(relayed, kTotal);
  EXPECT_EQ(send_failures, 0u);
  EXPECT_FALSE(reader.get_overflow_flag());
  EXPECT_FALSE(manager->reset_connection_available());
  for (int i = 0; i < kClients; ++i) {
    SCOPED_TRACE("client " + std::to_string(i));
    const Tally &t = tallies[i];
    EXPECT_FALSE(t.send_failed);
    EXPECT_EQ(t.received, kTotal);
    EXPECT_EQ(t.corrupt, 0u);
    EXPECT_EQ(t.out_of_order, 0u);
    for (int from = 0; from < kClients; ++from) EXPECT_EQ(t.next_seq[from], kPerClient) << "from " << from;
    EXPECT_FALSE(clients[i]->reader.get_overflow_flag());
    EXPECT_FALSE(clients[i]->manager->reset_connection_available());
  }
}
