// Tests for queuednet/statistics.h: the manager's and a connection's counters follow real
// traffic over loopback.
#include "queuednet/statistics.h"

#include <gtest/gtest.h>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

TEST(Statistics, CountTrafficEachWayPerManagerAndPerConnection) {
  qt::Server server;
  qt::RawClient raw(server.port);
  auto conn = server.accept_one();
  ASSERT_NE(conn, nullptr);
  constexpr int kDatagrams = 40;
  std::string burst;
  for (int i = 0; i < kDatagrams; ++i) burst += qt::frame2(std::string(10, 'x'));
  ASSERT_TRUE(raw.send_all(burst));
  size_t echoed = 0;
  ASSERT_TRUE(qt::eventually([&] {
    echoed += server.echo_available();
    raw.read_available();
    return raw.received().size() == burst.size();
  }));
  EXPECT_EQ(echoed, static_cast<size_t>(kDatagrams));
  // Eventually consistent: the peer may hold the bytes before the loop has seen the send end.
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    return conn->get_statistics().bytes_queued == 0 && server.manager->get_statistics().bytes_queued == 0;
  }));
  const ConnectionStatistics c = conn->get_statistics();
  EXPECT_EQ(c.datagrams_in, static_cast<uint64_t>(kDatagrams));
  EXPECT_EQ(c.bytes_in, 10u * kDatagrams);
  EXPECT_EQ(c.datagrams_out, static_cast<uint64_t>(kDatagrams));
  EXPECT_EQ(c.bytes_out, burst.size());  // framed
  EXPECT_EQ(c.bytes_queued, 0u);
  EXPECT_EQ(c.datagrams_dropped, 0u);
  const ManagerStatistics m = server.manager->get_statistics();
  EXPECT_EQ(m.backend, server.manager->get_backend());
  EXPECT_EQ(m.num_threads, qt::test_threads());
  EXPECT_EQ(m.connections_open, 2u);  // the rendezvous and the client
  EXPECT_EQ(m.connections_accepted, 1u);
  EXPECT_EQ(m.datagrams_in, static_cast<uint64_t>(kDatagrams));
  EXPECT_EQ(m.bytes_in, 10u * kDatagrams);
  EXPECT_EQ(m.datagrams_out, static_cast<uint64_t>(kDatagrams));  // all written, so all counted
  EXPECT_EQ(m.bytes_out, burst.size());
  EXPECT_EQ(m.bytes_queued, 0u);
}

TEST(Statistics, CountDropsOversizeFramesAndResets) {
  qt::Server server;
  server.reader.set_max_queue_size(3);
  server.reader.set_max_datagram_size(100);
  qt::RawClient flooder(server.port);
  ASSERT_NE(server.accept_one(), nullptr);
  std::string burst;
  for (int i = 0; i < 5; ++i) burst += qt::frame2("d");
  ASSERT_TRUE(flooder.send_all(burst));
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    return server.manager->get_statistics().queue_drops == 2;  // 5 into a queue of 3
  }));
  qt::RawClient liar(server.port);
  ASSERT_NE(server.accept_one(), nullptr);
  ASSERT_TRUE(liar.send_all(std::string("\xff\xff", 2)));  // announces 65,535 > 100
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    const ManagerStatistics m = server.manager->get_statistics();
    return m.oversize_frames == 1 && m.connections_reset == 1;
  }));
  EXPECT_EQ(server.manager->get_statistics().connections_accepted, 2u);
}
