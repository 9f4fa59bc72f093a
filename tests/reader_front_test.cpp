// QueuedConnectionReader's front: get_data() takes several datagrams from the shared queue at
// once and hands them out one per call, to whichever thread calls next. Nothing a thread took
// at once is held back from the others, lost, reordered, or hidden from a wait. Run in every
// mode.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;
using namespace std::chrono_literals;

namespace {

// `n` frames carrying the sequence numbers first..first+n-1 (uint32), as one write.
std::string numbered(uint32_t first, uint32_t n) {
  std::string wire;
  for (uint32_t s = first; s < first + n; ++s) {
    Datagram dg;
    dg.add_uint32(s);
    wire += qt::frame2(dg.get_message());
  }
  return wire;
}

uint32_t number(const Datagram &dg) { return DatagramIterator(dg).get_uint32(); }

// Waits until `reader` (polling it, in polled mode) holds `n` datagrams, all ready to take (the
// queue's size counts a batch a worker is still pushing).
bool holds(QueuedConnectionReader &reader, int n) {
  return qt::eventually([&] {
    reader.poll();
    return reader.get_current_queue_size() == n && reader.data_available();
  });
}

// A server whose reader holds datagrams 0..n-1 from one client, all ready to take.
struct Holding {
  explicit Holding(uint32_t n) : client(server.port) {
    ok = server.accept_one() != nullptr && client.send_all(numbered(0, n)) && holds(server.reader, static_cast<int>(n));
  }
  qt::Server server;
  qt::RawClient client;
  bool ok = false;
};

}  // namespace

TEST(ReaderFront, WhatOneThreadTookAtOnceReachesTheNextCallerInOrder) {
  constexpr uint32_t kDatagrams = 40;
  Holding h(kDatagrams);
  ASSERT_TRUE(h.ok);
  qt::Server &server = h.server;

  uint32_t first = kDatagrams;
  std::thread taker([&] {  // takes one datagram (the front takes more) and ends
    NetDatagram dg;
    if (server.reader.get_data(dg)) first = number(dg);
  });
  taker.join();
  ASSERT_EQ(first, 0u);
  EXPECT_EQ(server.reader.get_current_queue_size(), static_cast<int>(kDatagrams - 1));
  std::vector<uint32_t> rest;
  NetDatagram dg;
  while (server.reader.get_data(dg)) rest.push_back(number(dg));
  ASSERT_EQ(rest.size(), kDatagrams - 1) << "datagrams another thread took at once were held back";
  for (uint32_t i = 0; i < rest.size(); ++i) EXPECT_EQ(rest[i], i + 1);
}

TEST(ReaderFront, ThreadsTakingInTurnGetConsecutiveDatagrams) {
  constexpr uint32_t kDatagrams = 48;
  Holding h(kDatagrams);
  ASSERT_TRUE(h.ok);
  qt::Server &server = h.server;
  // Each datagram taken by a new thread: whatever one took into the front, the next one gets
  // the next datagram.
  for (uint32_t s = 0; s < kDatagrams; ++s) {
    uint32_t got = kDatagrams;
    std::thread([&] {
      NetDatagram dg;
      if (server.reader.get_data(dg)) got = number(dg);
    }).join();
    ASSERT_EQ(got, s);
  }
  NetDatagram dg;
  EXPECT_FALSE(server.reader.get_data(dg));
}

TEST(ReaderFront, AWaitSeesWhatTheFrontHolds) {
  Holding h(10);
  ASSERT_TRUE(h.ok);
  qt::Server &server = h.server;
  NetDatagram dg;
  ASSERT_TRUE(server.reader.get_data(dg));  // the other 9 are in the front, none in the queue
  // No more bytes come: a wait that looked only at the queue would sleep its whole minute.
  std::atomic<bool> returned{false}, ready{false};
  std::thread waiter([&] {
    ready = server.reader.wait_for_data(60.0);
    returned = true;
  });
  const bool in_time = qt::eventually([&] { return returned.load(); }, 10s);
  if (!in_time) server.manager.reset();  // wakes the waiter, so the test can end
  waiter.join();
  ASSERT_TRUE(in_time) << "wait_for_data slept with datagrams in the front";
  EXPECT_TRUE(ready);
  EXPECT_TRUE(server.reader.data_available());
  EXPECT_EQ(server.reader.get_current_queue_size(), 9);
}

// One consumer, then four, then one again: the front batches, turns shared, and batches again
// (kRetryBatching). Every datagram reaches one consumer, each consumer sees each connection's
// datagrams in order.
TEST(ReaderFront, ConsumersComingAndGoingGetEveryDatagramOnceInOrder) {
  constexpr int kConnections = 4;
  constexpr uint32_t kEach = 30000;
  qt::Server server;
  server.reader.set_max_queue_size(kConnections * kEach);
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  for (int i = 0; i < kConnections; ++i) clients.push_back(std::make_unique<qt::RawClient>(server.port));
  const auto conns = server.accept_n(kConnections);
  ASSERT_EQ(conns.size(), static_cast<size_t>(kConnections));
  std::thread sender([&] {
    for (uint32_t s = 0; s < kEach; s += 1000) {
      for (auto &c : clients) c->send_all(numbered(s, 1000));
    }
  });
  constexpr uint32_t kTotal = kConnections * kEach;
  std::atomic<uint32_t> taken{0};
  std::atomic<int> phase{0};  // 0: A alone, 1: A-D, 2: A alone
  std::vector<std::vector<std::vector<uint32_t>>> seen(4, std::vector<std::vector<uint32_t>>(kConnections));
  auto consume = [&](int t, auto keep_going) {
    NetDatagram dg;
    qt::eventually([&] {
      while (keep_going() && server.reader.get_data(dg)) {
        int c = 0;
        while (conns[c] != dg.get_connection()) ++c;
        seen[t][c].push_back(number(dg));
        const uint32_t n = taken.fetch_add(1) + 1;
        if (t == 0 && n >= kTotal / 3 && phase.load() == 0) phase = 1;
        if (n >= 2 * kTotal / 3 && phase.load() == 1) phase = 2;
      }
      if (!keep_going()) return true;
      server.reader.poll();
      return taken.load() >= kTotal;
    }, 120s);
  };
  std::thread a([&] { consume(0, [&] { return taken.load() < kTotal; }); });
  std::vector<std::thread> others;
  for (int t = 1; t < 4; ++t) {
    others.emplace_back([&, t] {
      qt::eventually([&] { return phase.load() >= 1; }, 120s);
      consume(t, [&] { return phase.load() == 1; });
    });
  }
  for (auto &t : others) t.join();
  a.join();
  sender.join();
  ASSERT_EQ(taken.load(), kTotal);
  EXPECT_EQ(qt::check_each_once_in_order(seen, kEach), "");
}
