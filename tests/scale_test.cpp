// Scale through the public API: thousands of concurrent connections, tens of thousands of
// connect/close cycles without leaking a descriptor.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

namespace {

size_t open_fds() {
  size_t n = 0;
  DIR *d = opendir("/proc/self/fd");
  while (readdir(d) != nullptr) ++n;
  closedir(d);
  return n;
}

void abortive_close(qt::RawClient &c) {
  linger l{1, 0};  // RST instead of FIN: no TIME_WAIT on the client's port
  setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  c.close();
}

}  // namespace

TEST(Scale, FiveThousandConcurrentConnectionsEcho) {
  constexpr int kClients = 5000;
  qt::Server server;
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  size_t accepted = 0;
  auto accept_some = [&] {
    std::shared_ptr<Connection> c;
    while (server.listener.new_connection_available() && server.listener.get_new_connection(c)) {
      server.reader.add_connection(c);
      ++accepted;
    }
  };
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<qt::RawClient>(server.port));
    ASSERT_TRUE(clients.back()->connected()) << i;
    if (i % 64 == 0) accept_some();  // polled mode: keep the backlog moving
  }
  ASSERT_TRUE(qt::eventually([&] { accept_some(); return accepted == kClients; }));
  std::vector<std::string> want(kClients);
  for (int i = 0; i < kClients; ++i) {
    for (int k = 0; k < 2; ++k) {
      const std::string p = qt::pattern(16 + (i % 48), static_cast<unsigned>(i * 2 + k));
      want[i] += qt::frame2(p);
    }
    ASSERT_TRUE(clients[i]->send_all(want[i]));
    if (i % 64 == 0) server.echo_available();
  }
  ASSERT_TRUE(server.echo_until_received(clients, want, std::chrono::seconds(120)));
  for (int i = 0; i < kClients; ++i) ASSERT_TRUE(clients[i]->received() == want[i]) << "client " << i;
}

TEST(Scale, TwentyThousandConnectCloseCyclesLeakNoDescriptor) {
  constexpr int kCycles = 20000;
  qt::Server server;
  const size_t before = open_fds();
  int server_closed = 0, peer_reset = 0;
  for (int i = 0; i < kCycles; ++i) {
    qt::RawClient client(server.port);
    ASSERT_TRUE(client.connected()) << "cycle " << i;
    auto conn = server.accept_one();
    ASSERT_NE(conn, nullptr) << "cycle " << i;
    if (i % 2 == 0) {
      ASSERT_TRUE(server.manager->close_connection(conn));  // the server closes
      ++server_closed;
      ASSERT_TRUE(qt::eventually([&] { server.reader.poll(); return !conn->is_open(); }));
      abortive_close(client);
    } else {
      abortive_close(client);  // the client vanishes
      std::shared_ptr<Connection> lost;
      ASSERT_TRUE(qt::eventually([&] { server.reader.poll(); return server.manager->get_reset_connection(lost); }));
      ASSERT_EQ(lost, conn);
      ++peer_reset;
    }
  }
  EXPECT_EQ(server_closed + peer_reset, kCycles);
  EXPECT_EQ(server.manager->get_num_connections(), 1u);  // the rendezvous
  EXPECT_EQ(open_fds(), before);
}
