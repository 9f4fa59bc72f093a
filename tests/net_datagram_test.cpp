// Tests for queuednet/net_datagram.h: connection and address travel with copies and are
// cleared by plain-Datagram assignment and clear().
#include "queuednet/net_datagram.h"

#include <gtest/gtest.h>

TEST(NetDatagram, AddressTravelsWithCopiesAndClears) {
  queuednet::NetDatagram dg(std::string_view("xy").data(), 2);
  queuednet::NetAddress addr;
  addr.set_host("127.0.0.1", 4);
  dg.set_address(addr);
  queuednet::NetDatagram copy(dg);
  EXPECT_EQ(copy.get_address(), addr);
  EXPECT_EQ(copy.get_message(), "xy");
  copy = queuednet::Datagram(std::string_view("z"));
  EXPECT_TRUE(copy.get_address().is_any());
  EXPECT_EQ(copy.get_message(), "z");
  EXPECT_EQ(copy.get_connection(), nullptr);
  dg.clear();
  EXPECT_EQ(dg.get_length(), 0u);
  EXPECT_TRUE(dg.get_address().is_any());
  EXPECT_EQ(queuednet::NetDatagram::maximum_udp_datagram, 1500u);
}
