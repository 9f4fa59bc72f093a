// queuednet-echo-load, TCP: raw non-blocking sockets and edge-triggered epoll. Every connection
// keeps `window` datagrams in flight; echoes must come back whole and in order.
#include "load_tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <thread>

namespace load {
namespace {

struct Conn {
  int fd = -1;
  uint32_t id = 0;
  uint64_t next_seq = 0;    // next to send
  uint64_t expect_seq = 0;  // next echo expected
  std::deque<Clock::time_point> sent_at;
  std::string out;  // bytes not yet written
  size_t out_off = 0;
  std::string in;  // bytes received, not yet verified
  bool failed = false;
};

class TcpWorker {
 public:
  TcpWorker(const Options &o, const Sockets &sockets) : o_(o), conns_(sockets.size()) {
    for (size_t i = 0; i < sockets.size(); ++i) {
      conns_[i].id = sockets[i].first;
      conns_[i].fd = sockets[i].second;
    }
  }

  void run(Clock::time_point stop_sending, Stats &stats) {
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    for (Conn &c : conns_) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
      ev.data.ptr = &c;
      epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
      for (int w = 0; w < o_.window; ++w) enqueue(c, stats);
      flush(c, stats);
    }
    const auto give_up = stop_sending + std::chrono::seconds(10);
    std::vector<epoll_event> events(1024);
    for (;;) {
      const auto now = Clock::now();
      sending_ = o_.count > 0 ? true : now < stop_sending;
      if (done() || now > give_up) break;
      const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 10);
      for (int i = 0; i < n; ++i) {
        Conn &c = *static_cast<Conn *>(events[i].data.ptr);
        if (c.failed) continue;
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) receive(c, stats);
        if (!c.failed) flush(c, stats);
      }
    }
    for (Conn &c : conns_) {
      if (!c.failed && c.expect_seq != c.next_seq) fail(c, stats);  // echoes missing at the end
    }
    close(ep);
  }

 private:
  bool done() const {
    for (const Conn &c : conns_) {
      if (c.failed) continue;
      if (sending_ && (o_.count == 0 || c.next_seq < static_cast<uint64_t>(o_.count))) return false;
      if (c.expect_seq != c.next_seq) return false;
    }
    return true;
  }

  static void fail(Conn &c, Stats &stats) {
    c.failed = true;
    Stats::bump(stats.failed_connections);
  }

  void enqueue(Conn &c, Stats &stats) {
    if (o_.count > 0 && c.next_seq >= static_cast<uint64_t>(o_.count)) return;
    const size_t size = static_cast<size_t>(o_.size);
    for (int i = 0; i < o_.header; ++i) c.out.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
    for (size_t i = 0; i < size; ++i) c.out.push_back(static_cast<char>(payload_byte(c.id, c.next_seq, i)));
    c.sent_at.push_back(Clock::now());
    ++c.next_seq;
    Stats::bump(stats.sent);
  }

  void flush(Conn &c, Stats &stats) {
    while (c.out_off < c.out.size()) {
      const ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
      } else {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        fail(c, stats);
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
      fail(c, stats);  // EOF or error while echoes were expected
      return;
    }
    size_t off = 0;
    const size_t frame = static_cast<size_t>(o_.header + o_.size);
    const auto now = Clock::now();
    while (c.in.size() - off >= frame) {
      const unsigned char *p = reinterpret_cast<const unsigned char *>(c.in.data() + off);
      uint64_t len = 0;
      for (int i = 0; i < o_.header; ++i) len |= static_cast<uint64_t>(p[i]) << (8 * i);
      bool ok = len == static_cast<uint64_t>(o_.size) && c.expect_seq < c.next_seq;
      for (size_t i = 0; ok && i < static_cast<size_t>(o_.size); ++i) {
        ok = p[o_.header + i] == payload_byte(c.id, c.expect_seq, i);
      }
      if (!ok) {
        Stats::bump(stats.mismatches);
        fail(c, stats);
        return;
      }
      stats.record_echo(c.sent_at.front(), now);
      c.sent_at.pop_front();
      ++c.expect_seq;
      off += frame;
      if (sending_) enqueue(c, stats);
    }
    c.in.erase(0, off);
  }

  const Options &o_;
  std::vector<Conn> conns_;
  bool sending_ = true;
};

}  // namespace

int connect_tcp(const Options &o) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
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
  const int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

void run_tcp_worker(const Options &o, const Sockets &sockets, Clock::time_point stop_sending, Stats &stats) {
  TcpWorker(o, sockets).run(stop_sending, stats);
}

}  // namespace load
