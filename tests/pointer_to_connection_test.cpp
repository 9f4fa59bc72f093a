// Tests for PointerToConnection (queuednet/connection.h): Panda3D's PT(Connection) surface, so
// code written against Panda3D's C++ API compiles unchanged once PT is defined.
#include "queuednet/connection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

#define PT(type) PointerTo##type

using namespace queuednet;

TEST(PointerToConnection, NullClearAndComparisons) {
  PT(Connection) empty;
  EXPECT_TRUE(empty.is_null());
  EXPECT_TRUE(empty == nullptr);
  EXPECT_TRUE(empty == static_cast<Connection *>(nullptr));
  EXPECT_EQ(empty.p(), nullptr);

  qt::Server server;
  qt::RawClient raw(server.port);
  std::shared_ptr<Connection> accepted = server.accept_one();
  ASSERT_NE(accepted, nullptr);

  PT(Connection) c = accepted;
  EXPECT_FALSE(c.is_null());
  Connection *raw_pointer = accepted.get();
  EXPECT_TRUE(c == raw_pointer);
  EXPECT_TRUE(raw_pointer == c);  // the reversed form
  EXPECT_FALSE(c != raw_pointer);
  EXPECT_TRUE(c != nullptr);
  EXPECT_FALSE(c == server.rendezvous.get());
  EXPECT_TRUE(c == accepted);  // against a plain shared_ptr

  c.clear();
  EXPECT_TRUE(c.is_null());
  EXPECT_TRUE(c == nullptr);
  EXPECT_TRUE(accepted->is_open());
}

TEST(PointerToConnection, FromRawPointerSharesOwnership) {
  qt::Server server;
  qt::RawClient raw(server.port);
  std::shared_ptr<Connection> accepted = server.accept_one();
  ASSERT_NE(accepted, nullptr);
  const auto same_owner = [&](const std::shared_ptr<Connection> &p) {
    return !p.owner_before(accepted) && !accepted.owner_before(p);
  };
  {
    // Panda3D: `PT(Connection) p = connection;` from a Connection *. It must join the existing
    // ownership, never start a second one (which would destroy the connection twice).
    PT(Connection) p = accepted.get();
    EXPECT_EQ(p.p(), accepted.get());
    EXPECT_TRUE(same_owner(p));
    PT(Connection) q;
    q = accepted.get();
    EXPECT_TRUE(same_owner(q));
    q = static_cast<Connection *>(nullptr);
    EXPECT_TRUE(q.is_null());
  }
  EXPECT_TRUE(accepted->is_open());
}

TEST(PointerToConnection, ManualServerCodeCompilesAsWritten) {
  // The Panda3D manual's C++ server idiom, PT(Connection) spelled as Panda3D spells it.
  qt::Server server;
  qt::RawClient raw(server.port);
  std::vector<PT(Connection)> active;
  ASSERT_TRUE(qt::eventually([&] { return server.listener.new_connection_available(); }));
  PT(Connection) rendezvous;
  NetAddress address;
  PT(Connection) new_connection;
  ASSERT_TRUE(server.listener.get_new_connection(rendezvous, address, new_connection));
  EXPECT_TRUE(rendezvous == server.rendezvous.get());
  active.push_back(new_connection);
  EXPECT_TRUE(server.reader.add_connection(new_connection));
  EXPECT_TRUE(server.reader.is_connection_ok(new_connection.p()));
  ASSERT_TRUE(raw.send_all(qt::frame2("hi")));
  NetDatagram datagram;
  ASSERT_TRUE(server.next(datagram));
  PT(Connection) from = datagram.get_connection();
  EXPECT_TRUE(std::find(active.begin(), active.end(), from) != active.end());
  EXPECT_TRUE(server.writer.send(datagram, from));
  EXPECT_TRUE(server.reader.remove_connection(from));
  EXPECT_TRUE(server.manager->close_connection(from));
}
