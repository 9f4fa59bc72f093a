// Acceptance cases of the Panda3D spec over TCP (§6.3, §6.4, §5): a threaded server and polled
// clients in one process (TCP-3), a broadcast to several clients ending in the server's exit
// (TCP-3/TCP-4), raw-mode line reassembly with many workers (RAW-2), a send on a reset
// connection (bug 26), a writer shutdown with output still queued (bug 24).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

namespace {

// A client built like upstream's test_tcp_client: its own manager, reader and writer with 0
// threads (polled on the caller's thread), on the backend under test.
struct PolledClient {
  explicit PolledClient(uint16_t port) : reader(&manager, 0), writer(&manager, 0) {
    connection = manager.open_TCP_client_connection("127.0.0.1", port, 5000);
    if (connection) reader.add_connection(connection);
  }
  bool next(NetDatagram &out) {
    return qt::eventually([&] { return reader.data_available() && reader.get_data(out); });
  }
  // The address the server sees for this client.
  NetAddress local_address() const {
    sockaddr_storage s{};
    socklen_t len = sizeof s;
    getsockname(connection->get_fd(), reinterpret_cast<sockaddr *>(&s), &len);
    return NetAddress(reinterpret_cast<sockaddr *>(&s), len);
  }

  QueuedConnectionManager manager{0};
  QueuedConnectionReader reader;
  ConnectionWriter writer;
  std::shared_ptr<Connection> connection;
};

// Upstream's test-harness encoding (datagram_ui.cxx): per token an int8 tag and a value (0 int32,
// 1 float64, 2 string), then tag 3.
Datagram harness_datagram(int32_t number, double real, const std::string &word) {
  Datagram dg;
  dg.add_int8(0);
  dg.add_int32(number);
  dg.add_int8(1);
  dg.add_float64(real);
  dg.add_int8(2);
  dg.add_string(word);
  dg.add_int8(3);
  return dg;
}

}  // namespace

TEST(AcceptanceTcp, Tcp3ThreadedServerAndPolledClientInOneProcess) {
  auto manager = qt::make_manager();
  QueuedConnectionListener listener(manager.get(), 0);
  QueuedConnectionReader reader(manager.get(), 1);  // upstream's server: 1-thread reader and writer
  ConnectionWriter writer(manager.get(), 1);
  ASSERT_GE(manager->get_num_threads(), 1) << "a 1-thread reader on a fresh manager starts a worker";
  ASSERT_FALSE(reader.is_polling());
  std::shared_ptr<Connection> rendezvous;
  const uint16_t port = qt::listen_local(*manager, rendezvous);
  ASSERT_TRUE(listener.add_connection(rendezvous));

  PolledClient client(port);
  ASSERT_NE(client.connection, nullptr) << last_error().message;
  ASSERT_TRUE(client.writer.is_immediate());
  std::shared_ptr<Connection> from, conn;
  NetAddress address;
  ASSERT_TRUE(qt::eventually([&] { return listener.new_connection_available() && listener.get_new_connection(from, address, conn); }));
  EXPECT_EQ(from, rendezvous);
  EXPECT_EQ(address, client.local_address());
  ASSERT_TRUE(reader.add_connection(conn));

  // The server echoes on its own thread, as upstream's server program does; the client sends
  // and reads on this one.
  constexpr int kDatagrams = 300;
  std::atomic<int> echoed{0};
  std::jthread server([&] {  // joined on every exit, early ASSERT returns included
    NetDatagram dg;
    qt::eventually([&] {
      while (reader.get_data(dg)) {
        EXPECT_EQ(dg.get_connection(), conn);
        EXPECT_EQ(dg.get_address(), address);
        EXPECT_TRUE(writer.send(dg, dg.get_connection()));
        echoed.fetch_add(1);
      }
      if (echoed.load() < kDatagrams) reader.wait_for_data(0.05);
      return echoed.load() == kDatagrams;
    }, std::chrono::seconds(60));
  });
  int received = 0;
  for (int i = 0; i < kDatagrams; ++i) {
    ASSERT_TRUE(client.writer.send(harness_datagram(i, i / 3.0, "word" + std::to_string(i)), client.connection));
    NetDatagram dg;
    while (client.reader.data_available() && client.reader.get_data(dg)) {
      EXPECT_EQ(dg, harness_datagram(received, received / 3.0, "word" + std::to_string(received)));
      ++received;
    }
  }
  ASSERT_TRUE(qt::eventually([&] {
    NetDatagram dg;
    while (client.reader.data_available() && client.reader.get_data(dg)) {
      EXPECT_EQ(dg, harness_datagram(received, received / 3.0, "word" + std::to_string(received)));
      EXPECT_EQ(dg.get_connection(), client.connection);
      ++received;
    }
    return received == kDatagrams;
  }));
  server.join();
  EXPECT_EQ(echoed.load(), kDatagrams);
  EXPECT_FALSE(client.manager.reset_connection_available());
  EXPECT_FALSE(manager->reset_connection_available());
}

TEST(AcceptanceTcp, Tcp3BroadcastToEveryClientThenTcp4ServerExit) {
  constexpr int kClients = 4, kRounds = 25;
  struct ServerProgram {
    std::unique_ptr<QueuedConnectionManager> manager = qt::make_manager();
    QueuedConnectionListener listener{manager.get(), 0};
    QueuedConnectionReader reader{manager.get(), 1};
    ConnectionWriter writer{manager.get(), 1};
    std::shared_ptr<Connection> rendezvous;
    std::vector<std::shared_ptr<Connection>> clients;
  };
  auto program = std::make_unique<ServerProgram>();
  const uint16_t port = qt::listen_local(*program->manager, program->rendezvous);
  program->listener.add_connection(program->rendezvous);
  std::vector<std::unique_ptr<PolledClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<PolledClient>(port));
    ASSERT_NE(clients.back()->connection, nullptr);
    std::shared_ptr<Connection> c;
    ASSERT_TRUE(qt::eventually([&] { return program->listener.new_connection_available() && program->listener.get_new_connection(c); }));
    program->reader.add_connection(c);
    program->clients.push_back(c);
  }

  // The server program: re-sends every datagram to every client; a datagram of at most one
  // byte makes it exit.
  std::atomic<int> broadcasts{0};
  std::jthread server([&] {  // joined on every exit, early ASSERT returns included
    NetDatagram dg;
    bool quit = false;
    qt::eventually([&] {
      while (!quit && program->reader.get_data(dg)) {
        if (dg.get_length() <= 1) {
          quit = true;
          break;
        }
        for (auto &c : program->clients) EXPECT_TRUE(program->writer.send(dg, c));
        broadcasts.fetch_add(1);
      }
      if (!quit) program->reader.wait_for_data(0.05);
      return quit;
    }, std::chrono::seconds(60));
    EXPECT_TRUE(quit) << "the quit datagram never came";
    program.reset();  // the server exits: its manager closes every connection
  });

  for (int round = 0; round < kRounds; ++round) {
    const int sender = round % kClients;
    const Datagram dg = harness_datagram(round, round * 0.5, "from client " + std::to_string(sender));
    ASSERT_TRUE(clients[sender]->writer.send(dg, clients[sender]->connection));
    for (auto &c : clients) {  // every client receives the identical bytes
      NetDatagram got;
      ASSERT_TRUE(c->next(got)) << "round " << round;
      EXPECT_EQ(got, dg) << "round " << round;
      EXPECT_EQ(got.get_connection(), c->connection);
    }
  }
  Datagram quit;
  quit.add_int8(3);  // an empty input line: just the end tag
  ASSERT_TRUE(clients[0]->writer.send(quit, clients[0]->connection));
  for (auto &c : clients) {
    std::shared_ptr<Connection> lost;
    ASSERT_TRUE(qt::eventually([&] {
      c->reader.data_available();
      return c->manager.reset_connection_available() && c->manager.get_reset_connection(lost);
    }));
    EXPECT_EQ(lost, c->connection);
    c->manager.close_connection(lost);  // allowed after the reset
    EXPECT_FALSE(c->manager.get_reset_connection(lost));
  }
  server.join();
  EXPECT_EQ(broadcasts.load(), kRounds);
}

TEST(AcceptanceTcp, Raw2LinesReassembledInOrderPerConnectionWithManyWorkers) {
  constexpr int kClients = 6, kLines = 300;
  auto manager = qt::make_manager();
  QueuedConnectionListener listener(manager.get(), 0);
  QueuedConnectionReader reader(manager.get(), 10);  // fake_http_server: 10-thread reader and writer
  ConnectionWriter writer(manager.get(), 10);
  reader.set_raw_mode(true);
  writer.set_raw_mode(true);
  std::shared_ptr<Connection> rendezvous;
  const uint16_t port = qt::listen_local(*manager, rendezvous);
  listener.add_connection(rendezvous);

  std::vector<std::unique_ptr<qt::RawClient>> clients;
  std::map<const Connection *, int> index;
  std::vector<std::shared_ptr<Connection>> conns;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<qt::RawClient>(port));
    std::shared_ptr<Connection> c;
    ASSERT_TRUE(qt::eventually([&] { return listener.new_connection_available() && listener.get_new_connection(c); }));
    reader.add_connection(c);
    index[c.get()] = i;
    conns.push_back(c);
  }
  // Each client's lines, some ending in \r\n, some in \n; the whole stream goes out in random
  // chunks that cut lines anywhere, the clients interleaved.
  std::mt19937 rng(99);
  std::vector<std::vector<std::string>> lines(kClients);
  std::vector<std::string> streams(kClients), replies(kClients);
  for (int i = 0; i < kClients; ++i) {
    for (int n = 0; n < kLines; ++n) {
      std::string line = "client " + std::to_string(i) + " line " + std::to_string(n) + " ";
      line += std::string(rng() % 200, static_cast<char>('a' + n % 26));
      lines[i].push_back(line);
      streams[i] += line + (rng() % 2 ? "\r\n" : "\n");
      replies[i] += "ok " + std::to_string(n) + "\r\n";
    }
  }
  std::vector<size_t> sent(kClients, 0), next_line(kClients, 0);
  std::vector<std::string> partial(kClients);
  std::vector<std::string> errors;
  auto serve = [&] {  // reassemble lines per connection, answer each one
    NetDatagram dg;
    while (reader.data_available() && reader.get_data(dg)) {
      const int i = index.at(dg.get_connection().get());
      partial[i] += dg.get_message();
      for (size_t nl; (nl = partial[i].find('\n')) != std::string::npos;) {
        std::string line = partial[i].substr(0, nl);
        partial[i].erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const size_t n = next_line[i]++;
        if (n >= lines[i].size() || line != lines[i][n]) {
          errors.push_back("client " + std::to_string(i) + " line " + std::to_string(n) + ": got '" + line + "'");
          continue;
        }
        EXPECT_TRUE(writer.send(Datagram("ok " + std::to_string(n) + "\r\n"), dg.get_connection()));
      }
    }
  };
  for (bool more = true; more;) {
    more = false;
    for (int i = 0; i < kClients; ++i) {
      if (sent[i] == streams[i].size()) continue;
      const size_t n = std::min<size_t>(streams[i].size() - sent[i], 1 + rng() % 700);
      ASSERT_TRUE(clients[i]->send_all(streams[i].substr(sent[i], n)));
      sent[i] += n;
      more = true;
    }
    serve();
  }
  ASSERT_TRUE(qt::eventually([&] {
    serve();
    bool done = true;
    for (int i = 0; i < kClients; ++i) {
      clients[i]->read_available();
      done = done && next_line[i] >= static_cast<size_t>(kLines) && clients[i]->received().size() >= replies[i].size();
    }
    return done || !errors.empty();
  }, std::chrono::seconds(60)));
  EXPECT_TRUE(errors.empty()) << errors.size() << " lines out of order or corrupt; first: " << errors.front();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(next_line[i], static_cast<size_t>(kLines)) << "client " << i;
    EXPECT_TRUE(partial[i].empty()) << "client " << i;
    EXPECT_TRUE(clients[i]->received() == replies[i]) << "client " << i << " replies differ";
  }
  EXPECT_FALSE(manager->reset_connection_available());
}

namespace {

// Closes a raw client: `reset` sends an RST (SO_LINGER 0), otherwise a FIN.
void close_raw(qt::RawClient &raw, bool reset) {
  if (reset) {
    linger l{1, 0};
    setsockopt(raw.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  raw.close();
}

}  // namespace

// Bug 26: upstream re-reports a reset on every later send. Here the loss is reported once,
// whether the peer reset (RST) or closed (FIN) and whatever the server sends afterwards.
TEST(AcceptanceTcp, SendOnResetConnectionDoesNotReportTheResetAgain) {
  for (bool rst : {true, false}) {
    SCOPED_TRACE(rst ? "peer sent RST" : "peer sent FIN");
    qt::Server server;
    qt::RawClient raw(server.port);
    auto conn = server.accept_one();
    ASSERT_NE(conn, nullptr);
    const Datagram dg(std::string(1000, 'r'));
    close_raw(raw, rst);
    int reports = 0;
    auto take_reports = [&](std::vector<std::shared_ptr<Connection>> *others) {
      std::shared_ptr<Connection> lost;
      while (server.manager->get_reset_connection(lost)) {
        if (lost == conn) {
          ++reports;
        } else if (others != nullptr) {
          others->push_back(lost);
        }
      }
    };
    // Sends race the loss; then the report comes, once.
    for (int i = 0; i < 20; ++i) server.writer.send(dg, conn);
    ASSERT_TRUE(qt::eventually([&] {
      server.reader.poll();
      take_reports(nullptr);
      return reports > 0;
    }));
    // Keep sending until the connection refuses (a write to the closed peer fails at the
    // latest); none of it may bring another report.
    ASSERT_TRUE(qt::eventually([&] {
      server.reader.poll();
      take_reports(nullptr);
      return !server.writer.send(dg, conn);
    }));
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(server.writer.send(dg, conn));
    // Barrier: one closed connection per loop; once all their reports are in, any report the
    // sends above could cause has been queued too.
    const int loops = std::max(1, qt::test_threads()) + 1;
    std::vector<std::unique_ptr<qt::RawClient>> barrier;
    std::vector<std::shared_ptr<Connection>> barrier_conns, barrier_reports;
    for (int i = 0; i < loops; ++i) {
      barrier.push_back(std::make_unique<qt::RawClient>(server.port));
      barrier_conns.push_back(server.accept_one());
      ASSERT_NE(barrier_conns.back(), nullptr);
    }
    barrier.clear();
    ASSERT_TRUE(qt::eventually([&] {
      server.reader.poll();
      take_reports(&barrier_reports);
      return barrier_reports.size() == barrier_conns.size();
    }));
    EXPECT_EQ(reports, 1);
  }
}

// Bug 24: upstream's writer shutdown discards what was queued. Here it refuses new sends and
// still writes everything it accepted.
TEST(AcceptanceTcp, WriterShutdownStillWritesWhatWasQueued) {
  qt::Server server;
  qt::RawClient raw(server.port);  // does not read until the writer is shut down
  auto conn = server.accept_one();
  ASSERT_NE(conn, nullptr);
  conn->set_send_buffer_size(4096);  // the kernel holds little: most stays queued in queuednet
  std::string want;
  for (int i = 0; i < 600; ++i) {
    const std::string p = qt::pattern(5000, static_cast<unsigned>(i));
    ASSERT_TRUE(server.writer.send(Datagram(p), conn)) << i << ": " << last_error().message;
    want += qt::frame2(p);
  }
  server.reader.poll();
  EXPECT_GT(conn->get_pending_output(), 0u) << "nothing left queued: the test proves nothing";
  server.writer.shutdown();
  EXPECT_FALSE(server.writer.send(Datagram(std::string_view("late")), conn));
  EXPECT_EQ(last_error().code, make_error_code(errc::shut_down));
  ASSERT_TRUE(qt::eventually([&] {
    server.reader.poll();
    raw.read_available();
    return raw.received().size() >= want.size();
  })) << raw.received().size() << " of " << want.size() << " bytes arrived; " << conn->get_pending_output()
      << " still pending, connection " << (conn->is_open() ? "open" : "closed");
  EXPECT_EQ(raw.received().size(), want.size());
  EXPECT_TRUE(raw.received() == want);
  EXPECT_TRUE(conn->is_open());
}
