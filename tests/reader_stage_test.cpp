// QueuedConnectionReader's per-thread stage: get_data() takes several datagrams from the shared
// queue at once and hands them out one per call. What a thread staged and did not take is
// given back when the thread ends or moves on to too many readers: nothing is lost, and what
// nobody else touched keeps its order. Run in every mode.
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

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

TEST(ReaderStage, WhatAnEndedThreadStagedReachesTheNextCallerInOrder) {
  constexpr uint32_t kDatagrams = 40;
  qt::Server server;
  qt::RawClient client(server.port);
  ASSERT_TRUE(server.accept_one());
  ASSERT_TRUE(client.send_all(numbered(0, kDatagrams)));
  ASSERT_TRUE(holds(server.reader, kDatagrams));

  uint32_t first = kDatagrams;
  std::thread taker([&] {  // takes one datagram, staging more, and ends
    NetDatagram dg;
    if (server.reader.get_data(dg)) first = number(dg);
  });
  taker.join();
  ASSERT_EQ(first, 0u);
  std::vector<uint32_t> rest;
  NetDatagram dg;
  while (server.reader.get_data(dg)) rest.push_back(number(dg));
  ASSERT_EQ(rest.size(), kDatagrams - 1) << "datagrams the ended thread staged were lost";
  for (uint32_t i = 0; i < rest.size(); ++i) EXPECT_EQ(rest[i], i + 1);
}

TEST(ReaderStage, OneThreadTakingFromFiveReadersInTurnLosesNothing) {
  constexpr int kReaders = 5;
  constexpr uint32_t kEach = 40;
  qt::Server server;  // its reader is not used: each connection gets a reader of its own
  std::vector<std::unique_ptr<QueuedConnectionReader>> readers;
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  for (int i = 0; i < kReaders; ++i) {
    readers.push_back(std::make_unique<QueuedConnectionReader>(server.manager.get(), 0));
    clients.push_back(std::make_unique<qt::RawClient>(server.port));
    std::shared_ptr<Connection> c;
    ASSERT_TRUE(qt::eventually([&] { return server.listener.new_connection_available() && server.listener.get_new_connection(c); }));
    ASSERT_TRUE(readers[i]->add_connection(c));
    ASSERT_TRUE(clients[i]->send_all(numbered(0, kEach)));
  }
  for (auto &r : readers) ASSERT_TRUE(holds(*r, kEach));
  // Round robin, one datagram per reader per round: with more readers than stages, each round
  // gives a stage back.
  std::vector<std::vector<uint32_t>> got(kReaders);
  bool any = true;
  while (any) {
    any = false;
    for (int i = 0; i < kReaders; ++i) {
      NetDatagram dg;
      if (readers[i]->get_data(dg)) {
        got[i].push_back(number(dg));
        any = true;
      }
    }
  }
  for (int i = 0; i < kReaders; ++i) {
    ASSERT_EQ(got[i].size(), kEach) << "reader " << i;
    for (uint32_t s = 0; s < kEach; ++s) EXPECT_EQ(got[i][s], s) << "reader " << i;
  }
}

TEST(ReaderStage, StagedDatagramsCountForTheQueueSizeOfTheThreadThatHoldsThem) {
  qt::Server server;
  qt::RawClient client(server.port);
  ASSERT_TRUE(server.accept_one());
  ASSERT_TRUE(client.send_all(numbered(0, 10)));
  ASSERT_TRUE(holds(server.reader, 10));
  NetDatagram dg;
  ASSERT_TRUE(server.reader.get_data(dg));
  EXPECT_EQ(server.reader.get_current_queue_size(), 9);
  EXPECT_TRUE(server.reader.data_available());
}
