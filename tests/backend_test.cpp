// Tests for the backends' contract with the loop (backends/backend.h), over real sockets:
// once the loop says it stopped reading a channel, the backend never touches that descriptor
// again (the loop may have closed it, and the number may already belong to another socket).
#include "backends/backend.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <set>
#include <string>
#include <vector>

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

// Records which channels a wait() delivered data for.
class RecordingLoop : public BackendEvents {
 public:
  bool on_accept(uint64_t, int) override { return false; }
  void on_accept_refused(uint64_t, int) override {}
  bool on_data(uint64_t id, const unsigned char *, size_t, const sockaddr *, socklen_t) override {
    served.insert(id);
    return true;
  }
  void on_read_closed(uint64_t, int) override {}
  void on_writable(uint64_t) override {}
  void on_send_complete(uint64_t, ssize_t) override {}
  std::set<uint64_t> served;
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

// A readiness backend's wait() serves at most 256 of the sockets the kernel reports ready; the
// next wait serves the rest, and never one the loop removed in between, even when what was
// reported for it was a hang-up.
TEST(Backend, AWaitServesAtMost256ReadySocketsAndTheNextTheRest) {
  using queuednet::detail::BackendId;
  for (BackendId kind : {BackendId::epoll, BackendId::poll}) {
    SCOPED_TRACE(std::string(queuednet::detail::backend_name(kind)));
    std::string error;
    auto backend = queuednet::detail::make_backend(kind, {}, &error);
    ASSERT_NE(backend, nullptr) << error;
    constexpr uint64_t kSockets = 300, kHungUp = 22;
    std::vector<std::array<int, 2>> pairs(kSockets);
    for (uint64_t id = 1; id <= kSockets; ++id) {
      auto &p = pairs[id - 1];
      ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p.data()), 0);
      backend->add(id, p[0], queuednet::detail::ChannelKind::stream);
      backend->set_reading(id, true);
    }
    RecordingLoop first_look;
    backend->wait(0, first_look);  // the sockets just turned on are looked at once: nothing yet
    ASSERT_TRUE(first_look.served.empty());
    for (auto &p : pairs) ASSERT_EQ(::send(p[1], "x", 1, 0), 1);
    // The last sockets' peers hang up too (poll serves in registration order, so for poll
    // these are the ones left for the next wait).
    for (uint64_t id = kSockets - kHungUp + 1; id <= kSockets; ++id) {
      ::close(pairs[id - 1][1]);
      pairs[id - 1][1] = -1;
    }
    RecordingLoop first, second;
    backend->wait(0, first);
    EXPECT_EQ(first.served.size(), 256u);
    // The hung-up sockets not served yet go away before the next wait.
    std::set<uint64_t> removed;
    for (uint64_t id = kSockets - kHungUp + 1; id <= kSockets; ++id) {
      if (first.served.count(id) == 0) {
        backend->remove(id, pairs[id - 1][0]);
        removed.insert(id);
      }
    }
    backend->wait(0, second);
    EXPECT_EQ(second.served.size(), kSockets - 256 - removed.size());
    for (uint64_t id : second.served) {
      EXPECT_EQ(first.served.count(id), 0u) << id;
      EXPECT_EQ(removed.count(id), 0u) << id;
    }
    for (auto &p : pairs) {
      for (int fd : p) {
        if (fd >= 0) ::close(fd);
      }
    }
  }
}
