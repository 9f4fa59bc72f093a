// queuednet-echo-load: a load generator for echo servers that knows only the wire format
// (2- or 4-byte little-endian length, then the payload). It uses raw epoll sockets, not
// queuednet, so it checks the server independently.
//
//   queuednet-echo-load --port P [--host 127.0.0.1] [--connections N] [--window W] [--size S]
//       [--header-size 2|4] [--duration SECONDS | --count PER_CONNECTION] [--threads T]
//
// Every connection keeps W datagrams in flight; every echoed byte is compared with what was
// sent. Prints one summary line; exits 1 on any mismatch, lost connection or missing echo.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = -1;
  int connections = 100;
  int window = 1;
  int size = 32;
  int header = 2;
  double duration = 5;
  long count = 0;  // per connection; 0: use duration
  int threads = 1;
};

[[noreturn]] void usage(const char *why) {
  std::fprintf(stderr,
               "queuednet-echo-load: %s\nusage: queuednet-echo-load --port P [--host H] [--connections N] "
               "[--window W] [--size S] [--header-size 2|4] [--duration SECONDS | --count N] [--threads T]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + a).c_str());
    const char *v = argv[++i];
    if (a == "--port") o.port = std::atoi(v);
    else if (a == "--host") o.host = v;
    else if (a == "--connections") o.connections = std::atoi(v);
    else if (a == "--window") o.window = std::atoi(v);
    else if (a == "--size") o.size = std::atoi(v);
    else if (a == "--header-size") o.header = std::atoi(v);
    else if (a == "--duration") o.duration = std::atof(v);
    else if (a == "--count") o.count = std::atol(v);
    else if (a == "--threads") o.threads = std::atoi(v);
    else usage(("unknown option " + a).c_str());
  }
  if (o.port <= 0 || o.connections <= 0 || o.window <= 0 || o.size < 0 || o.threads <= 0) usage("bad arguments");
  if (o.header != 2 && o.header != 4) usage("--header-size must be 2 or 4");
  if (o.header == 2 && o.size > 65535) usage("--size over 65535 needs --header-size 4");
  if (o.duration > 3600) usage("--duration is capped at 3600 s");
  return o;
}

// Payload byte i of datagram `seq` on connection `conn`: cheap, deterministic, position-dependent.
inline unsigned char payload_byte(uint32_t conn, uint64_t seq, size_t i) {
  return static_cast<unsigned char>((conn * 131u) ^ (seq * 7919u) ^ (i * 31u) ^ (i >> 8));
}

struct Conn {
  int fd = -1;
  uint32_t id = 0;
  uint64_t next_seq = 0;      // next to send
  uint64_t expect_seq = 0;    // next echo expected
  std::deque<Clock::time_point> sent_at;
  std::string out;            // bytes not yet written
  size_t out_off = 0;
  std::string in;             // bytes received, not yet verified
  bool failed = false;
};

struct Stats {
  uint64_t sent = 0, received = 0, mismatches = 0, failed_connections = 0;
  std::vector<uint32_t> histogram = std::vector<uint32_t>(1000001, 0);  // microseconds, last = overflow
};

class Worker {
 public:
  Worker(const Options &o, std::vector<Conn *> conns) : o_(o), conns_(std::move(conns)) {}

  void run(Clock::time_point stop_sending, Stats &stats) {
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    for (Conn *c : conns_) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
      ev.data.ptr = c;
      epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
      for (int w = 0; w < o_.window; ++w) enqueue(*c, stats);
      flush(*c);
    }
    const auto give_up = stop_sending + std::chrono::seconds(10);
    std::vector<epoll_event> events(1024);
    for (;;) {
      const auto now = Clock::now();
      sending_ = o_.count > 0 ? true : now < stop_sending;
      if (done(stats) || now > give_up) break;
      const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 10);
      for (int i = 0; i < n; ++i) {
        Conn &c = *static_cast<Conn *>(events[i].data.ptr);
        if (c.failed) continue;
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) receive(c, stats);
        if (!c.failed) flush(c);
      }
    }
    for (Conn *c : conns_) {
      if (!c->failed && c->expect_seq != c->next_seq) {
        c->failed = true;  // echoes missing at the end
        ++stats.failed_connections;
      }
    }
    close(ep);
  }

 private:
  bool done(const Stats &) const {
    for (Conn *c : conns_) {
      if (c->failed) continue;
      if (sending_ && (o_.count == 0 || c->next_seq < static_cast<uint64_t>(o_.count))) return false;
      if (c->expect_seq != c->next_seq) return false;
    }
    return true;
  }

  void enqueue(Conn &c, Stats &stats) {
    if (o_.count > 0 && c.next_seq >= static_cast<uint64_t>(o_.count)) return;
    const size_t size = static_cast<size_t>(o_.size);
    for (int i = 0; i < o_.header; ++i) c.out.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
    for (size_t i = 0; i < size; ++i) c.out.push_back(static_cast<char>(payload_byte(c.id, c.next_seq, i)));
    c.sent_at.push_back(Clock::now());
    ++c.next_seq;
    ++stats.sent;
  }

  void flush(Conn &c) {
    while (c.out_off < c.out.size()) {
      const ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
      } else {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        c.failed = true;
        return;
      }
    }
    c.out.clear();
    c.out_off = 0;
  }

  void receive(Conn &c, Stats &stats) {
    char buf[65536];
    for (;;) {
      const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      c.failed = true;  // EOF or error while echoes were expected
      ++stats.failed_connections;
      return;
    }
    size_t off = 0;
    const size_t frame = static_cast<size_t>(o_.header + o_.size);
    while (c.in.size() - off >= frame) {
      const unsigned char *p = reinterpret_cast<const unsigned char *>(c.in.data() + off);
      uint64_t len = 0;
      for (int i = 0; i < o_.header; ++i) len |= static_cast<uint64_t>(p[i]) << (8 * i);
      bool ok = len == static_cast<uint64_t>(o_.size) && c.expect_seq < c.next_seq;
      for (size_t i = 0; ok && i < static_cast<size_t>(o_.size); ++i) {
        ok = p[o_.header + i] == payload_byte(c.id, c.expect_seq, i);
      }
      if (!ok) {
        ++stats.mismatches;
        c.failed = true;
        ++stats.failed_connections;
        return;
      }
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c.sent_at.front()).count();
      ++stats.histogram[std::min<size_t>(static_cast<size_t>(us), stats.histogram.size() - 1)];
      c.sent_at.pop_front();
      ++c.expect_seq;
      ++stats.received;
      off += frame;
      if (sending_) enqueue(c, stats);
    }
    c.in.erase(0, off);
  }

  const Options &o_;
  std::vector<Conn *> conns_;
  bool sending_ = true;
};

int connect_one(const Options &o) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(o.port));
  inet_pton(AF_INET, o.host.c_str(), &a.sin_addr);
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      return fd;
    }
    if (errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // backlog full: back off
  }
  close(fd);
  return -1;
}

uint64_t percentile(const std::vector<uint32_t> &h, uint64_t total, double q) {
  const uint64_t target = static_cast<uint64_t>(q * static_cast<double>(total));
  uint64_t seen = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    seen += h[i];
    if (seen > target) return i;
  }
  return h.size() - 1;
}

}  // namespace

int main(int argc, char **argv) {
  const Options o = parse(argc, argv);
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);

  std::vector<Conn> conns(static_cast<size_t>(o.connections));
  for (int i = 0; i < o.connections; ++i) {
    conns[i].id = static_cast<uint32_t>(i);
    conns[i].fd = connect_one(o);
    if (conns[i].fd < 0) {
      std::fprintf(stderr, "queuednet-echo-load: connection %d failed: %s\n", i, std::strerror(errno));
      return 1;
    }
  }
  const int t = std::min(o.threads, o.connections);
  std::vector<Stats> stats(static_cast<size_t>(t));
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto stop_sending = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  for (int w = 0; w < t; ++w) {
    std::vector<Conn *> mine;
    for (int i = w; i < o.connections; i += t) mine.push_back(&conns[i]);
    threads.emplace_back([&, w, mine] { Worker(o, mine).run(stop_sending, stats[w]); });
  }
  for (auto &th : threads) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  Stats total;
  for (auto &s : stats) {
    total.sent += s.sent;
    total.received += s.received;
    total.mismatches += s.mismatches;
    total.failed_connections += s.failed_connections;
    for (size_t i = 0; i < s.histogram.size(); ++i) total.histogram[i] += s.histogram[i];
  }
  for (auto &c : conns) close(c.fd);
  const bool ok = total.mismatches == 0 && total.failed_connections == 0 && total.sent == total.received;
  std::printf("load: connections=%d window=%d size=%d sent=%llu received=%llu mismatches=%llu failed=%llu "
              "seconds=%.2f msgs_per_sec=%.0f p50_us=%llu p99_us=%llu result=%s\n",
              o.connections, o.window, o.size, static_cast<unsigned long long>(total.sent),
              static_cast<unsigned long long>(total.received), static_cast<unsigned long long>(total.mismatches),
              static_cast<unsigned long long>(total.failed_connections), secs, static_cast<double>(total.received) / secs,
              static_cast<unsigned long long>(percentile(total.histogram, total.received, 0.50)),
              static_cast<unsigned long long>(percentile(total.histogram, total.received, 0.99)),
              ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
