// Acceptance cases of the Panda3D spec over UDP on real sockets (§2.2, §2.3, §5): the bytes on
// the wire checked by a plain socket in both directions, send failures that must not close the
// socket (bug 13), packets over Panda3D's 1,502-byte receive buffer received whole (bug 14).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;

namespace {

// A plain UDP socket on 127.0.0.1 that knows nothing of queuednet.
class PlainUdp {
 public:
  PlainUdp() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a);
    const int big = 1 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }
  ~PlainUdp() { close(fd_); }
  PlainUdp(const PlainUdp &) = delete;
  PlainUdp &operator=(const PlainUdp &) = delete;

  NetAddress address() const {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len);
    return NetAddress(reinterpret_cast<sockaddr *>(&a), len);
  }
  bool send_to(uint16_t port, const std::string &bytes) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr *>(&a), sizeof a) ==
           static_cast<ssize_t>(bytes.size());
  }
  // The next packet, whole (MSG_TRUNC reports its real length), waiting up to 20 s while
  // `turn` runs the sender's loop.
  bool receive(std::string &out, ConnectionManager &turn) const {
    std::vector<char> buf(70000);
    return qt::eventually([&] {
      turn.wait_for_readers(0);
      const ssize_t n = recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0) return false;
      out.assign(buf.data(), static_cast<size_t>(std::min<ssize_t>(n, static_cast<ssize_t>(buf.size()))));
      return true;
    });
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// Panda3D's UDP header, computed here independently: the sum of the payload bytes modulo
// 65536, little-endian, then the payload.
std::string checksummed(const std::string &payload) {
  unsigned sum = 0;
  for (unsigned char c : payload) sum += c;
  return std::string{static_cast<char>(sum & 0xFF), static_cast<char>((sum >> 8) & 0xFF)} + payload;
}

NetAddress local(uint16_t port) {
  NetAddress a;
  a.set_host("127.0.0.1", port);
  return a;
}

bool next(QueuedConnectionReader &reader, NetDatagram &out) {
  return qt::eventually([&] { return reader.data_available() && reader.get_data(out); });
}

}  // namespace

TEST(AcceptanceUdp, WireBytesOnARealSocketBothWays) {
  auto m = qt::make_manager();
  QueuedConnectionReader reader(m.get(), 0);
  ConnectionWriter writer(m.get(), 0);
  auto udp = m->open_UDP_connection(0);
  ASSERT_NE(udp, nullptr);
  ASSERT_TRUE(reader.add_connection(udp));
  const uint16_t udp_port = static_cast<uint16_t>(udp->get_address().get_port());
  PlainUdp plain;
  const std::vector<std::string> payloads{"", "abc", std::string(300, '\xff'), qt::pattern(1400, 1),
                                          qt::pattern(1500, 2)};
  for (bool raw : {false, true}) {
    SCOPED_TRACE(raw ? "raw" : "checksum");
    writer.set_raw_mode(raw);
    reader.set_raw_mode(raw);
    for (const std::string &p : payloads) {
      // queuednet → plain socket: exactly checksum-LE ‖ payload (raw: the payload).
      ASSERT_TRUE(writer.send(Datagram(p), udp, plain.address())) << last_error().message;
      std::string wire;
      ASSERT_TRUE(plain.receive(wire, *m)) << p.size() << " bytes";
      EXPECT_TRUE(wire == (raw ? p : checksummed(p))) << p.size() << " bytes";
      // plain socket → queuednet: the same bytes are decoded to the payload, with the sender.
      ASSERT_TRUE(plain.send_to(udp_port, raw ? p : checksummed(p)));
      NetDatagram got;
      ASSERT_TRUE(next(reader, got)) << p.size() << " bytes";
      EXPECT_TRUE(got.get_message() == p) << p.size() << " bytes";
      EXPECT_EQ(got.get_connection(), udp);
      EXPECT_EQ(got.get_address(), plain.address());
    }
  }
  // A packet whose checksum is off by one is dropped; the next good one still arrives.
  reader.set_raw_mode(false);
  std::string bad = checksummed("payload");
  bad[0] = static_cast<char>(bad[0] + 1);
  ASSERT_TRUE(plain.send_to(udp_port, bad));
  ASSERT_TRUE(plain.send_to(udp_port, checksummed("after")));
  NetDatagram got;
  ASSERT_TRUE(next(reader, got));
  EXPECT_EQ(got.get_message(), "after");
  EXPECT_EQ(reader.get_num_bad_datagrams(), 1u);
}

// Bug 14: Panda3D receives into 1,502 bytes, so larger packets are truncated and dropped.
TEST(AcceptanceUdp, PacketsOverPandaReceiveBufferArriveWhole) {
  auto m = qt::make_manager();
  QueuedConnectionReader reader(m.get(), 0);
  ConnectionWriter writer(m.get(), 0);
  auto in = m->open_UDP_connection(0);
  auto out = m->open_UDP_connection(0);
  ASSERT_NE(in, nullptr);
  ASSERT_NE(out, nullptr);
  ASSERT_TRUE(in->set_recv_buffer_size(1 << 20));
  ASSERT_TRUE(reader.add_connection(in));
  const NetAddress to = local(static_cast<uint16_t>(in->get_address().get_port()));
  for (bool raw : {false, true}) {
    SCOPED_TRACE(raw ? "raw" : "checksum");
    writer.set_raw_mode(raw);
    reader.set_raw_mode(raw);
    const size_t largest = raw ? 65507 : 65505;  // the IPv4 UDP maximum, header included
    for (size_t size : {size_t{1501}, size_t{1502}, size_t{1503}, size_t{9000}, size_t{32768}, largest}) {
      const std::string p = qt::pattern(size, static_cast<unsigned>(size));
      ASSERT_TRUE(writer.send(Datagram(p), out, to)) << size << ": " << last_error().message;
      NetDatagram got;
      ASSERT_TRUE(next(reader, got)) << size << " bytes";
      EXPECT_EQ(got.get_length(), size);
      EXPECT_TRUE(got.get_message() == p) << size << " bytes";
    }
    // From a plain socket too.
    PlainUdp plain;
    const std::string p = qt::pattern(largest, 7);
    ASSERT_TRUE(plain.send_to(static_cast<uint16_t>(in->get_address().get_port()), raw ? p : checksummed(p)));
    NetDatagram got;
    ASSERT_TRUE(next(reader, got));
    EXPECT_TRUE(got.get_message() == p);
  }
  EXPECT_EQ(reader.get_num_bad_datagrams(), 0u);
}

// Bug 13: upstream closes the UDP socket on any failed sendto. Here a failed send is only that
// packet: the socket stays open, later sends go out, and its reader keeps receiving.
TEST(AcceptanceUdp, SendFailuresKeepTheSocket) {
  auto m = qt::make_manager();
  QueuedConnectionReader reader(m.get(), 0);
  ConnectionWriter writer(m.get(), 0);
  auto dual = m->open_UDP_connection(0);              // dual-stack [::]
  auto v4 = m->open_UDP_connection("127.0.0.1", 0);   // IPv4 only
  ASSERT_NE(dual, nullptr);
  ASSERT_NE(v4, nullptr);
  ASSERT_TRUE(reader.add_connection(dual));
  ASSERT_TRUE(reader.add_connection(v4));
  PlainUdp plain;
  NetAddress port_zero = local(0);  // sendto port 0: EINVAL
  NetAddress broadcast;
  broadcast.set_broadcast(9);       // no SO_BROADCAST: EACCES
  NetAddress v6;
  v6.set_host("::1", 9);            // through the IPv4-only socket: EAFNOSUPPORT / EINVAL
  struct Failing {
    std::shared_ptr<Connection> connection;
    NetAddress to;
    const char *what;
  };
  const std::vector<Failing> failing{{dual, port_zero, "port 0"}, {dual, broadcast, "broadcast"},
                                     {v4, port_zero, "port 0 (IPv4)"}, {v4, v6, "IPv6 from IPv4"}};
  int round = 0;
  for (const Failing &f : failing) {
    SCOPED_TRACE(f.what);
    clear_last_error();
    const bool accepted = writer.send(Datagram(std::string_view("doomed")), f.connection, f.to);
    if (qt::test_threads() == 0) {
      // Polled mode writes on the caller's thread, so the failure is known at once.
      EXPECT_FALSE(accepted) << "a polled send whose write fails returns false";
      EXPECT_TRUE(last_error().code) << "with the reason in last_error()";
    }
    // Sent after the failing one on the same socket, so written after it.
    const std::string good = "good " + std::to_string(round++);
    ASSERT_TRUE(writer.send(Datagram(good), f.connection, plain.address())) << last_error().message;
    std::string wire;
    ASSERT_TRUE(plain.receive(wire, *m));
    EXPECT_EQ(wire, checksummed(good));
    EXPECT_TRUE(f.connection->is_open());
    // The socket still receives.
    ASSERT_TRUE(plain.send_to(static_cast<uint16_t>(f.connection->get_address().get_port()), checksummed("still here")));
    NetDatagram got;
    ASSERT_TRUE(next(reader, got));
    EXPECT_EQ(got.get_message(), "still here");
    EXPECT_EQ(got.get_connection(), f.connection);
  }
  EXPECT_FALSE(m->reset_connection_available());
  EXPECT_TRUE(reader.is_connection_ok(dual));
  EXPECT_TRUE(reader.is_connection_ok(v4));
}
