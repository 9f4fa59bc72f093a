// Tests for queuednet/connection_manager.h: opening and closing connections, failures with a
// reason, host name and interfaces, wait_for_readers.
#include "queuednet/connection_manager.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <string>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

TEST(ConnectionManager, Tcp1ListenAndPortInUse) {
  auto m = qt::make_manager();
  std::shared_ptr<Connection> rv;
  const uint16_t port = qt::listen_local(*m, rv);
  ASSERT_NE(rv, nullptr);
  EXPECT_EQ(rv->get_kind(), Connection::Kind::tcp_listener);
  EXPECT_EQ(rv->get_address().get_port(), port);
  NetAddress same;
  same.set_host("127.0.0.1", port);
  clear_last_error();
  EXPECT_EQ(m->open_TCP_server_rendezvous(same, 5), nullptr);
  EXPECT_EQ(last_error().code, std::error_code(EADDRINUSE, std::generic_category()));
}

TEST(ConnectionManager, DualStackRendezvousAcceptsIpv4AndIpv6) {
  auto m = qt::make_manager();
  QueuedConnectionListener listener(m.get(), 0);
  std::shared_ptr<Connection> probe;
  const uint16_t port = qt::listen_local(*m, probe);  // find a free port, then reuse it
  m->close_connection(probe);
  ASSERT_TRUE(qt::eventually([&] { listener.poll(); return !probe->is_open(); }));
  auto rv = m->open_TCP_server_rendezvous(port, 16);
  ASSERT_NE(rv, nullptr);
  listener.add_connection(rv);
  qt::RawClient v4(port, "127.0.0.1");
  ASSERT_TRUE(v4.connected());
  std::shared_ptr<Connection> r, c;
  NetAddress addr;
  ASSERT_TRUE(qt::eventually([&] { return listener.new_connection_available() && listener.get_new_connection(r, addr, c); }));
  EXPECT_EQ(addr.get_family(), AF_INET);  // normalised, not ::ffff:127.0.0.1
  EXPECT_EQ(addr.get_ip_string(), "127.0.0.1");
  qt::RawClient v6(port, "::1");
  if (!v6.connected()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  ASSERT_TRUE(qt::eventually([&] { return listener.new_connection_available() && listener.get_new_connection(r, addr, c); }));
  EXPECT_EQ(addr.get_ip_string(), "::1");
}

TEST(ConnectionManager, Tcp5ConnectToClosedPortFailsWithinTimeout) {
  auto m = qt::make_manager();
  std::shared_ptr<Connection> rv;
  const uint16_t port = qt::listen_local(*m, rv);
  m->close_connection(rv);
  ASSERT_TRUE(qt::eventually([&] { m->wait_for_readers(0); return !rv->is_open(); }));
  const auto start = std::chrono::steady_clock::now();
  clear_last_error();
  EXPECT_EQ(m->open_TCP_client_connection("127.0.0.1", port, 3000), nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3) + std::chrono::milliseconds(500));
  EXPECT_EQ(last_error().code, std::error_code(ECONNREFUSED, std::generic_category()));
  EXPECT_NE(last_error().message.find(std::to_string(port)), std::string::npos);
}

TEST(ConnectionManager, UnresolvableHostGivesNullptrWithReason) {
  auto m = qt::make_manager();
  for (int which = 0; which < 3; ++which) {
    clear_last_error();
    std::shared_ptr<Connection> c = which == 0   ? m->open_TCP_client_connection("no-such-host.invalid", 80, 1000)
                                    : which == 1 ? m->open_TCP_server_rendezvous("no-such-host.invalid", 0, 5)
                                                 : m->open_UDP_connection("no-such-host.invalid", 0);
    EXPECT_EQ(c, nullptr) << which;
    EXPECT_EQ(last_error().code, make_error_code(errc::host_not_found)) << which;
  }
}

TEST(ConnectionManager, CloseConnectionOnceThenFalse) {
  qt::Server server;
  qt::Client client(server.port);
  ASSERT_NE(client.connection, nullptr);
  auto accepted = server.accept_one();
  ASSERT_NE(accepted, nullptr);
  const size_t before = server.manager->get_num_connections();
  EXPECT_TRUE(server.manager->close_connection(accepted));
  EXPECT_FALSE(server.manager->close_connection(accepted));
  EXPECT_FALSE(server.manager->close_connection(nullptr));
  EXPECT_EQ(server.manager->get_num_connections(), before - 1);
  EXPECT_FALSE(server.reader.is_connection_ok(accepted));
  // The client sees the close as a reset.
  std::shared_ptr<Connection> lost;
  ASSERT_TRUE(qt::eventually([&] {
    client.reader.data_available();
    return client.manager->get_reset_connection(lost);
  }));
  EXPECT_EQ(lost, client.connection);
}

TEST(ConnectionManager, HostNameAndInterfaces) {
  auto m = qt::make_manager();
  EXPECT_FALSE(ConnectionManager::get_host_name().empty());
  bool loopback = false;
  for (size_t i = 0; i < m->get_num_interfaces(); ++i) {
    if (m->get_interface(i).get_ip().get_ip_string() == "127.0.0.1") loopback = true;
  }
  EXPECT_TRUE(loopback);
  clear_last_error();
  EXPECT_FALSE(m->get_interface(100000).has_ip());
  EXPECT_EQ(last_error().code, make_error_code(errc::invalid_argument));
}

TEST(ConnectionManager, WaitForReadersSeesActivityOrTimesOut) {
  if (qt::test_threads() > 0) GTEST_SKIP() << "wait_for_readers polls only in polled mode";
  qt::Server server;
  EXPECT_FALSE(server.manager->wait_for_readers(0.05));  // nothing happens: times out
  qt::RawClient client(server.port);
  EXPECT_TRUE(server.manager->wait_for_readers(5.0));    // the connect wakes it
}

namespace {

// Serves one raw client through `m`: accept, a framed datagram in, the same datagram echoed
// out, then a close. `workers_only` takes datagrams with get_data alone, which never polls:
// only worker threads can deliver them. Checks the manager's connection count on the way.
::testing::AssertionResult round_trip(QueuedConnectionManager &m, bool workers_only = false) {
  QueuedConnectionListener listener(&m, 0);
  QueuedConnectionReader reader(&m, 0);
  ConnectionWriter writer(&m, 0);
  const size_t before = m.get_num_connections();
  std::shared_ptr<Connection> rv;
  const uint16_t port = qt::listen_local(m, rv);
  listener.add_connection(rv);
  qt::RawClient raw(port);
  std::shared_ptr<Connection> conn;
  if (!qt::eventually([&] { return listener.new_connection_available() && listener.get_new_connection(conn); })) {
    return ::testing::AssertionFailure() << "no connection accepted";
  }
  if (m.get_num_connections() != before + 2) {
    return ::testing::AssertionFailure() << m.get_num_connections() << " connections, want " << before + 2;
  }
  reader.add_connection(conn);
  const std::string payload = qt::pattern(3000, 11);
  raw.send_all(qt::frame2(payload));
  NetDatagram dg;
  if (!qt::eventually([&] { return (workers_only || reader.data_available()) && reader.get_data(dg); })) {
    return ::testing::AssertionFailure() << "no datagram" << (workers_only ? " from the workers" : "");
  }
  if (dg.get_message() != payload || dg.get_connection() != conn) return ::testing::AssertionFailure() << "wrong datagram";
  if (!writer.send(dg, conn)) return ::testing::AssertionFailure() << "send: " << last_error().message;
  if (!qt::eventually([&] {
        reader.poll();
        raw.read_available();
        return raw.received().size() >= payload.size() + 2;
      })) {
    return ::testing::AssertionFailure() << "echo not received";
  }
  if (raw.received() != qt::frame2(payload)) return ::testing::AssertionFailure() << "echo differs";
  m.close_connection(conn);
  m.close_connection(rv);
  if (m.get_num_connections() != before) {
    return ::testing::AssertionFailure() << m.get_num_connections() << " connections after closing, want " << before;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

TEST(ConnectionManager, ReportsThreadsAndBackendAndServes) {
  auto m = qt::make_manager();
  EXPECT_EQ(m->get_num_threads(), qt::test_threads());
  EXPECT_NE(m->get_backend(), BackendKind::automatic);
  EXPECT_TRUE(ConnectionManager::is_backend_available(m->get_backend()));
  EXPECT_EQ(m->get_num_connections(), 0u);
  EXPECT_TRUE(round_trip(*m, m->get_num_threads() > 0));
  EXPECT_TRUE(round_trip(*m, m->get_num_threads() > 0));  // and again on the same manager
}

TEST(ConnectionManager, ComponentThreadCountStartsPoolOrIsRefusedLoudly) {
  QueuedConnectionManager fresh;
  QueuedConnectionReader reader(&fresh, 2);
  EXPECT_EQ(fresh.get_num_threads(), 2);
  EXPECT_FALSE(reader.is_polling());
  EXPECT_TRUE(round_trip(fresh, true));  // the two workers deliver without any poll

  QueuedConnectionManager busy;
  std::shared_ptr<Connection> rv;
  qt::listen_local(busy, rv);
  clear_last_error();
  QueuedConnectionReader late(&busy, 3);
  EXPECT_EQ(busy.get_num_threads(), 0);
  EXPECT_TRUE(late.is_polling());
  EXPECT_EQ(last_error().code, make_error_code(errc::invalid_argument));
  EXPECT_TRUE(round_trip(busy));  // still serves, polled
}

TEST(ConnectionManager, ForcedBackendsServe) {
  for (BackendKind kind : {BackendKind::io_uring, BackendKind::epoll, BackendKind::poll}) {
    if (!ConnectionManager::is_backend_available(kind)) continue;
    for (int threads : {0, 1}) {
      SCOPED_TRACE(std::string(to_string(kind)) + " threads " + std::to_string(threads));
      QueuedConnectionManager m(threads, kind);
      EXPECT_EQ(m.get_backend(), kind);
      EXPECT_EQ(m.get_num_threads(), threads);
      EXPECT_TRUE(round_trip(m, threads > 0));
    }
  }
}

namespace {

int no_delay_of(const Connection &c) {
  int v = -1;
  socklen_t len = sizeof v;
  ::getsockopt(c.get_fd(), IPPROTO_TCP, TCP_NODELAY, &v, &len);
  return v;
}

}  // namespace

TEST(ConnectionManager, TcpNoDelayIsOnByDefaultAndCanBeTurnedOff) {
  for (bool on : {true, false}) {
    qt::Server server;
    server.manager->set_default_no_delay(on);
    EXPECT_EQ(server.manager->get_default_no_delay(), on);
    qt::Client client(server.port);
    ASSERT_NE(client.connection, nullptr);
    auto accepted = server.accept_one();
    ASSERT_NE(accepted, nullptr);
    EXPECT_EQ(no_delay_of(*accepted) != 0, on);  // accepted sockets follow the server's default
    EXPECT_NE(no_delay_of(*client.connection), 0);  // the client manager's default is on
    ASSERT_TRUE(client.connection->set_no_delay(false));
    EXPECT_EQ(no_delay_of(*client.connection), 0);
  }
}

TEST(ConnectionManager, AWorkerThatCannotStartFailsTheOpenCleanlyAndALaterOpenWorks) {
  const BackendKind kind = qt::make_manager()->get_backend();
  const size_t before = qt::open_descriptors().size();
  QueuedConnectionManager probe(1, kind);
  const size_t per_backend = qt::open_descriptors().size() - before;  // the constructor's probe
  ASSERT_GT(per_backend, 0u);
  {
    // A worker starts and exits while descriptors are plentiful. When a worker thread ends,
    // UBSan (ASan builds) checks the dynamic type of its std::thread state, the first time
    // with a pipe(2) to test that the memory is readable; under the limit below, where the
    // failed worker's thread ends, that pipe fails and UBSan reports an invalid vptr.
    QueuedConnectionManager warm_up(1, kind);
    std::shared_ptr<Connection> warm_up_rendezvous;
    qt::listen_local(warm_up, warm_up_rendezvous);
  }
  QueuedConnectionManager manager(2, kind);
  const size_t ready = qt::open_descriptors().size();
  std::shared_ptr<Connection> rendezvous;
  {
    // Room for the listening socket and the first worker's backend, not the second's.
    qt::DescriptorLimit limit(1 + per_backend + per_backend - 1);
    NetAddress addr;
    addr.set_host("127.0.0.1", 0);
    clear_last_error();
    rendezvous = manager.open_TCP_server_rendezvous(addr, 16);
    EXPECT_EQ(rendezvous, nullptr);
    EXPECT_NE(last_error().message.find("could not start"), std::string::npos) << last_error().message;
  }
  EXPECT_EQ(qt::open_descriptors().size(), ready);  // nothing leaked: socket and first backend closed
  // The limit is back: the same manager starts and serves.
  const uint16_t port = qt::listen_local(manager, rendezvous);
  QueuedConnectionListener listener(&manager, 0);
  QueuedConnectionReader reader(&manager, 0);
  ConnectionWriter writer(&manager, 0);
  ASSERT_TRUE(listener.add_connection(rendezvous));
  qt::RawClient raw(port);
  std::shared_ptr<Connection> conn;
  ASSERT_TRUE(qt::eventually([&] { return listener.new_connection_available() && listener.get_new_connection(conn); }));
  ASSERT_TRUE(reader.add_connection(conn));
  ASSERT_TRUE(raw.send_all(qt::frame2("after the failure")));
  NetDatagram dg;
  ASSERT_TRUE(qt::eventually([&] { return reader.data_available() && reader.get_data(dg); }));
  EXPECT_EQ(dg.get_message(), "after the failure");
}
