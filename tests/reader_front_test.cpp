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

}  // namespace

TEST(ReaderFront, WhatOneThreadTookAtOnceReachesTheNextCallerInOrder) {
  constexpr uint32_t kDatagrams = 40;
  qt::Server server;
  qt::RawClient client(server.port);
  ASSERT_TRUE(server.accept_one());
  ASSERT_TRUE(client.send_all(numbered(0, kDatagrams)));
  ASSERT_TRUE(holds(server.reader, kDatagrams));

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
  qt::Server server;
  qt::RawClient client(server.port);
  ASSERT_TRUE(server.accept_one());
  ASSERT_TRUE(client.send_all(numbered(0, kDatagrams)));
  ASSERT_TRUE(holds(server.reader, kDatagrams));
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
  qt::Server server;
  qt::RawClient client(server.port);
  ASSERT_TRUE(server.accept_one());
  ASSERT_TRUE(client.send_all(numbered(0, 10)));
  ASSERT_TRUE(holds(server.reader, 10));
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
