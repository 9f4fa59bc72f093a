// Tests for queuednet/queued_connection_manager.h: TCP-4 (the server goes away; every client
// sees one reset for its connection) and the reset queue's bound.
#include "queuednet/queued_connection_manager.h"

#include <gtest/gtest.h>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

TEST(QueuedConnectionManager, Tcp4ServerExitResetsEveryClientOnce) {
  auto server = std::make_unique<qt::Server>();
  std::vector<std::unique_ptr<qt::Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<qt::Client>(server->port));
    ASSERT_NE(clients.back()->connection, nullptr);
    ASSERT_NE(server->accept_one(), nullptr);
  }
  server.reset();  // destroys the manager: closes every connection
  for (auto &c : clients) {
    std::shared_ptr<Connection> lost;
    ASSERT_TRUE(qt::eventually([&] {
      c->reader.data_available();
      return c->manager->reset_connection_available() && c->manager->get_reset_connection(lost);
    }));
    EXPECT_EQ(lost, c->connection);
    EXPECT_FALSE(c->manager->get_reset_connection(lost));
    // The server's FIN left the client's side writable; closing it is the client's call
    // (Panda3D has closed it already and returns false here).
    EXPECT_TRUE(c->manager->close_connection(c->connection));
    EXPECT_FALSE(c->manager->close_connection(c->connection));
  }
}

TEST(QueuedConnectionManager, ResetQueueBound) {
  qt::Server server;
  server.manager->set_max_queue_size(1);
  EXPECT_EQ(server.manager->get_max_queue_size(), 1);
  std::vector<std::unique_ptr<qt::RawClient>> raws;
  for (int i = 0; i < 2; ++i) {
    raws.push_back(std::make_unique<qt::RawClient>(server.port));
    ASSERT_NE(server.accept_one(), nullptr);
  }
  raws.clear();
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    return server.manager->get_overflow_flag();
  }));
  EXPECT_EQ(server.manager->get_current_queue_size(), 1);
  server.manager->reset_overflow_flag();
  EXPECT_FALSE(server.manager->get_overflow_flag());
}
