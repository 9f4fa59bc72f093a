// Load through the public API: many concurrent wire-level clients echo through a server built
// like the manual's, every byte verified. Bounded in count and time.
#include <gtest/gtest.h>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

namespace {

void echo_with_clients(int num_clients, int per_client) {
  qt::Server server;
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  std::vector<std::string> expected(num_clients);
  for (int i = 0; i < num_clients; ++i) {
    clients.push_back(std::make_unique<qt::RawClient>(server.port));
    ASSERT_TRUE(clients.back()->connected()) << "client " << i;
    server.echo_available();  // keep the server turning while clients connect (polled mode)
  }
  size_t accepted = 0;
  ASSERT_TRUE(qt::eventually([&] {
    std::shared_ptr<Connection> c;
    while (server.listener.new_connection_available() && server.listener.get_new_connection(c)) {
      server.reader.add_connection(c);
      ++accepted;
    }
    return accepted == static_cast<size_t>(num_clients);
  }));
  for (int round = 0; round < per_client; ++round) {
    for (int i = 0; i < num_clients; ++i) {
      const std::string payload = qt::pattern(1 + (i * 7 + round * 13) % 200, static_cast<unsigned>(i * 1000 + round));
      expected[i] += qt::frame2(payload);
      ASSERT_TRUE(clients[i]->send_all(qt::frame2(payload)));
    }
    server.echo_available();
  }
  ASSERT_TRUE(server.echo_until_received(clients, expected, std::chrono::seconds(60)));
  for (int i = 0; i < num_clients; ++i) {
    ASSERT_TRUE(clients[i]->received() == expected[i]) << "client " << i << " got different bytes";
  }
}

}  // namespace

TEST(EchoLoad, OneClient) { echo_with_clients(1, 200); }
TEST(EchoLoad, HundredClients) { echo_with_clients(100, 20); }
TEST(EchoLoad, ThousandClients) { echo_with_clients(1000, 5); }
