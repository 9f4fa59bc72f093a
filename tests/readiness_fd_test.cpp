// Tests for the readiness descriptors (get_readiness_fd on QueuedConnectionReader,
// QueuedConnectionListener and QueuedConnectionManager): the application runs its own epoll
// loop with the descriptors beside a timerfd, as a game loop with a tick would, and gets every
// datagram, new connection and reset through it; when nothing is queued the loop sleeps (only
// the timerfd fires). Polled mode on the poll backend has no descriptor: a clear error instead.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "queuednet/queuednet.h"
#include "support/test_support.h"

using namespace queuednet;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kTick = 0;  // the timerfd's tag

// The application's own event loop: an epoll set of tagged descriptors and a 20 ms tick.
class ForeignLoop {
 public:
  ForeignLoop() : epfd_(::epoll_create1(EPOLL_CLOEXEC)), timer_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)) {
    const itimerspec every{{0, 20'000'000}, {0, 20'000'000}};
    ::timerfd_settime(timer_, 0, &every, nullptr);
    watch(timer_, kTick);
  }
  ~ForeignLoop() {
    ::close(timer_);
    ::close(epfd_);
  }
  ForeignLoop(const ForeignLoop &) = delete;
  ForeignLoop &operator=(const ForeignLoop &) = delete;

  void watch(int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    ASSERT_EQ(::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev), 0) << std::strerror(errno);
  }

  // Sleeps until something fires (at the latest the tick); returns the tags that fired. A
  // fired tick is read here.
  std::set<uint64_t> wait() {
    epoll_event events[8];
    int n;
    do {
      n = ::epoll_wait(epfd_, events, 8, 1000);
    } while (n < 0 && errno == EINTR);  // io_uring: completion work interrupts the wait
    std::set<uint64_t> fired;
    for (int i = 0; i < n; ++i) fired.insert(events[i].data.u64);
    if (fired.count(kTick) != 0) {
      uint64_t ticks;
      [[maybe_unused]] ssize_t r = ::read(timer_, &ticks, sizeof ticks);
    }
    return fired;
  }

  // Runs `handle` for every wake-up until `done()` or `timeout`; true if done.
  template <class Handle, class Done>
  bool run(Handle &handle, Done done, std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      handle(wait());
    }
    return true;
  }

  // Waits through `ticks` ticks, calling `handle` for every wake-up; returns the tags other
  // than the tick that fired meanwhile (none when the loop sleeps between ticks).
  template <class Handle>
  std::multiset<uint64_t> idle_wakeups(int ticks, Handle &handle) {
    std::multiset<uint64_t> others;
    for (int seen = 0; seen < ticks;) {
      const auto fired = wait();
      for (uint64_t tag : fired) {
        if (tag == kTick) {
          ++seen;
        } else {
          others.insert(tag);
        }
      }
      handle(fired);
    }
    return others;
  }

 private:
  int epfd_;
  int timer_;
};

// Polled mode on the poll backend has no descriptor to wait on: -1 with a clear error.
bool descriptors_available(QueuedConnectionManager &manager) {
  return !(manager.get_num_threads() == 0 && manager.get_backend() == BackendKind::poll);
}

void expect_not_supported(int fd) {
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(last_error().code, std::errc::operation_not_supported);
  EXPECT_NE(last_error().message.find("poll backend"), std::string::npos) << last_error().message;
}

std::string numbered(uint32_t i) { return qt::frame2(std::string(reinterpret_cast<const char *>(&i), sizeof i)); }

uint32_t number_of(const NetDatagram &d) {
  uint32_t i = 0;
  std::memcpy(&i, d.get_data(), sizeof i);
  return i;
}

enum Tag : uint64_t { kReader = 1, kListener = 2, kResets = 3 };

// The server's side of every test: take what is queued for each descriptor that fired.
struct Handler {
  qt::Server &server;
  std::vector<uint32_t> numbers;
  std::vector<std::shared_ptr<Connection>> accepted;
  std::vector<std::shared_ptr<Connection>> resets;

  void operator()(const std::set<uint64_t> &fired) {
    if (fired.count(kListener) != 0) {
      std::shared_ptr<Connection> c;
      while (server.listener.new_connection_available()) {
        if (server.listener.get_new_connection(c)) {
          accepted.push_back(c);
          server.reader.add_connection(c);
        }
      }
    }
    if (fired.count(kReader) != 0) {
      NetDatagram d;
      while (server.reader.data_available()) {
        while (server.reader.get_data(d)) numbers.push_back(number_of(d));
      }
    }
    if (fired.count(kResets) != 0) {
      server.reader.poll();  // polled mode: the reset queue's calls do not turn the loop
      std::shared_ptr<Connection> lost;
      while (server.manager->reset_connection_available()) {
        if (server.manager->get_reset_connection(lost)) resets.push_back(lost);
      }
    }
  }
};

std::string check_in_order(const std::vector<uint32_t> &numbers, uint32_t n) {
  if (numbers.size() != n) return "got " + std::to_string(numbers.size()) + " of " + std::to_string(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (numbers[i] != i) return "datagram " + std::to_string(i) + " is number " + std::to_string(numbers[i]);
  }
  return "";
}

}  // namespace

TEST(ReadinessFd, ReaderDescriptorInAnEpollLoopGetsEveryDatagramInOrder) {
  qt::Server server;
  const int reader_fd = server.reader.get_readiness_fd();
  if (!descriptors_available(*server.manager)) return expect_not_supported(reader_fd);
  ASSERT_GE(reader_fd, 0) << last_error().message;
  EXPECT_EQ(server.reader.get_readiness_fd(), reader_fd);  // the same one every time
  const int listener_fd = server.listener.get_readiness_fd();
  ASSERT_GE(listener_fd, 0) << last_error().message;
  ForeignLoop loop;
  loop.watch(reader_fd, kReader);
  loop.watch(listener_fd, kListener);
  Handler handler{server, {}, {}, {}};

  constexpr uint32_t kDatagrams = 5000;
  qt::RawClient client(server.port);
  ASSERT_TRUE(client.connected());
  std::string burst;
  for (uint32_t i = 0; i < kDatagrams; ++i) {
    burst += numbered(i);
    if (burst.size() >= 8192 || i + 1 == kDatagrams) {  // in bursts, while the loop takes them
      ASSERT_TRUE(client.send_all(burst));
      burst.clear();
      handler(loop.wait());
    }
  }
  ASSERT_TRUE(loop.run(handler, [&] { return handler.numbers.size() >= kDatagrams; }))
      << handler.numbers.size() << " of " << kDatagrams << ", queued " << server.reader.get_current_queue_size()
      << ", available " << server.reader.data_available();
  EXPECT_EQ(check_in_order(handler.numbers, kDatagrams), "");
  EXPECT_EQ(handler.accepted.size(), 1u);

  // Once the application has found every queue empty, the loop sleeps through its ticks.
  handler({kReader, kListener});
  loop.idle_wakeups(1, handler);  // settles: a turn's notice may come after its items were taken
  EXPECT_TRUE(loop.idle_wakeups(5, handler).empty());
  EXPECT_EQ(handler.numbers.size(), kDatagrams);
}

TEST(ReadinessFd, ReaderDescriptorWakesForDelayedDatagrams) {
  // Fault injection holds each datagram back 30-60 ms: no socket event announces its release,
  // so in polled mode the loop's timer must make the descriptor readable.
  qt::Server server;
  const int reader_fd = server.reader.get_readiness_fd();
  if (!descriptors_available(*server.manager)) return expect_not_supported(reader_fd);
  ASSERT_GE(reader_fd, 0) << last_error().message;
  ForeignLoop loop;
  loop.watch(reader_fd, kReader);
  loop.watch(server.listener.get_readiness_fd(), kListener);
  Handler handler{server, {}, {}, {}};
  server.reader.start_delay(0.03, 0.06);

  constexpr uint32_t kDatagrams = 50;
  qt::RawClient client(server.port);
  ASSERT_TRUE(loop.run(handler, [&] { return handler.accepted.size() == 1; }));
  std::string all;
  for (uint32_t i = 0; i < kDatagrams; ++i) all += numbered(i);
  ASSERT_TRUE(client.send_all(all));
  ASSERT_TRUE(loop.run(handler, [&] { return handler.numbers.size() >= kDatagrams; }))
      << handler.numbers.size() << " of " << kDatagrams;
  EXPECT_EQ(check_in_order(handler.numbers, kDatagrams), "");
}

TEST(ReadinessFd, ListenerDescriptorReportsEachNewConnectionOnce) {
  qt::Server server;
  const int listener_fd = server.listener.get_readiness_fd();
  if (!descriptors_available(*server.manager)) return expect_not_supported(listener_fd);
  ASSERT_GE(listener_fd, 0) << last_error().message;
  ForeignLoop loop;
  loop.watch(listener_fd, kListener);
  Handler handler{server, {}, {}, {}};

  constexpr size_t kClients = 40;
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  for (size_t i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<qt::RawClient>(server.port));
    ASSERT_TRUE(clients.back()->connected());
    if (i % 8 == 7) handler(loop.wait());  // some while the loop takes them
  }
  ASSERT_TRUE(loop.run(handler, [&] { return handler.accepted.size() >= kClients; })) << handler.accepted.size();
  std::set<Connection *> distinct;
  for (auto &c : handler.accepted) distinct.insert(c.get());
  EXPECT_EQ(distinct.size(), kClients);
  handler({kListener});
  loop.idle_wakeups(1, handler);  // settles: a turn's notice may come after its items were taken
  EXPECT_TRUE(loop.idle_wakeups(5, handler).empty());
  EXPECT_EQ(handler.accepted.size(), kClients);
}

TEST(ReadinessFd, ManagerDescriptorReportsEachResetOnce) {
  qt::Server server;
  const int resets_fd = server.manager->get_readiness_fd();
  if (!descriptors_available(*server.manager)) return expect_not_supported(resets_fd);
  ASSERT_GE(resets_fd, 0) << last_error().message;
  constexpr size_t kClients = 20;
  std::vector<std::unique_ptr<qt::RawClient>> clients;
  std::set<Connection *> open;
  for (size_t i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<qt::RawClient>(server.port));
    auto c = server.accept_one();
    ASSERT_NE(c, nullptr);
    open.insert(c.get());
  }
  ForeignLoop loop;
  loop.watch(resets_fd, kResets);
  Handler handler{server, {}, {}, {}};
  ASSERT_TRUE(handler.resets.empty());
  clients.clear();  // every client goes away
  ASSERT_TRUE(loop.run(handler, [&] { return handler.resets.size() >= kClients; })) << handler.resets.size();
  std::set<Connection *> reported;
  for (auto &c : handler.resets) reported.insert(c.get());
  EXPECT_EQ(reported, open);
  handler({kResets});
  loop.idle_wakeups(1, handler);  // settles: a turn's notice may come after its items were taken
  EXPECT_TRUE(loop.idle_wakeups(5, handler).empty());
  EXPECT_EQ(handler.resets.size(), kClients);
}

TEST(ReadinessFd, DescriptorIsClosedWithItsObject) {
  auto manager = qt::make_manager();
  auto reader = std::make_unique<QueuedConnectionReader>(manager.get(), 0);
  const int fd = reader->get_readiness_fd();
  if (!descriptors_available(*manager)) return expect_not_supported(fd);
  ASSERT_GE(fd, 0) << last_error().message;
  EXPECT_NE(::fcntl(fd, F_GETFD), -1);
  reader.reset();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}
