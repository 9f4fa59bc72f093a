// Tests for the backends' contract with the loop (backends/backend.h), over real sockets:
// once the loop says it stopped reading a channel, the backend never touches that descriptor
// again (the loop may have closed it, and the number may already belong to another socket).
#include "backends/backend.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "backends/readiness_io.h"
#include "support/test_support.h"

namespace {

using queuednet::detail::BackendEvents;
using queuednet::detail::Drain;
using queuednet::detail::ReadinessIo;

// Stops reading after the first chunk, closing the socket and putting another in its place,
// as a loop that closed the channel (oversize frame) and accepted a new connection would.
class ClosingLoop : public BackendEvents {
 public:
  ClosingLoop(int fd, int replacement) : fd_(fd), replacement_(replacement) {}
  bool on_accept(uint64_t, int) override { return false; }
  void on_accept_refused(uint64_t, int) override {}
  bool on_data(uint64_t, const unsigned char *, size_t, const sockaddr *, socklen_t) override {
    ++chunks;
    ::close(fd_);
    ::dup2(replacement_, fd_);  // the number now names an unrelated connection
    return false;
  }
  void on_read_closed(uint64_t, int) override { ++closes; }
  void on_writable(uint64_t) override {}
  void on_send_complete(uint64_t, ssize_t) override {}
  int chunks = 0, closes = 0;

 private:
  int fd_, replacement_;
};

}  // namespace

TEST(Backend, ReadinessIoStopsReadingADescriptorTheLoopLetGo) {
  int first[2], second[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, first), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, second), 0);
  // More than one receive buffer (64 KiB) waits, so a reader that went on would read again.
  const std::string big(100000, 'x');
  ASSERT_EQ(::send(first[1], big.data(), big.size(), MSG_DONTWAIT), static_cast<ssize_t>(big.size()));
  const std::string other = "belongs to someone else";
  ASSERT_EQ(::send(second[1], other.data(), other.size(), 0), static_cast<ssize_t>(other.size()));
  ClosingLoop loop(first[0], second[0]);
  ReadinessIo io;
  pollfd p{first[0], POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  EXPECT_EQ(io.receive(1, first[0], queuednet::detail::ChannelKind::stream, true, loop), Drain::stopped);
  EXPECT_EQ(loop.chunks, 1);
  // The unrelated connection's bytes are all still there.
  char buf[64];
  ASSERT_EQ(::recv(second[0], buf, sizeof buf, MSG_DONTWAIT), static_cast<ssize_t>(other.size()));
  EXPECT_EQ(std::string(buf, other.size()), other);
  for (int fd : {first[0], first[1], second[0], second[1]}) ::close(fd);
}
