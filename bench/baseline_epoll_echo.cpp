// baseline-epoll-echo: the minimal hand-written echo server queuednet is measured against.
// N threads, each with its own SO_REUSEPORT listener and edge-triggered epoll loop; every
// byte read is written straight back (a framed echo is the same bytes). No library, no queues.
// With --framed it does the least a Panda3D-model server must do instead: it splits the bytes
// into frames (2-byte little-endian length), copies each datagram out of the receive buffer
// (as get_data() does), frames it again into the connection's output (as send() does), and
// writes that once the socket is drained. Still no library, no queue, one thread per loop.
//
//   baseline-epoll-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS] [--framed]
//
// Prints "listening on HOST:PORT backend=baseline-epoll threads=N" and a summary on exit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cli_args.h"
#include "fd_limit.h"

namespace {

constexpr const char *kUsage =
    "usage: baseline-epoll-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS] [--framed]\n"
    "Echoes every byte it reads on TCP, N threads with SO_REUSEPORT listeners and epoll.\n"
    "--framed: echoes datagram by datagram (2-byte length frames), each copied out and framed again.\n";

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

struct Conn {
  std::string pending;  // bytes the socket did not take yet
  std::string partial;  // --framed: the start of a frame not complete yet
};

// --framed: echoes each complete frame of `partial` + data[0..n) into `pending`, one datagram
// at a time through `datagram`; keeps an incomplete tail in `partial`.
void echo_frames(Conn &c, const char *data, size_t n, std::vector<unsigned char> &datagram) {
  if (!c.partial.empty()) {
    c.partial.append(data, n);
    data = c.partial.data();
    n = c.partial.size();
  }
  size_t at = 0;
  while (n - at >= 2) {
    const size_t size = static_cast<unsigned char>(data[at]) | size_t{static_cast<unsigned char>(data[at + 1])} << 8;
    if (n - at - 2 < size) break;
    datagram.assign(data + at + 2, data + at + 2 + size);
    const char header[2] = {static_cast<char>(size & 0xff), static_cast<char>(size >> 8)};
    c.pending.append(header, 2);
    c.pending.append(reinterpret_cast<const char *>(datagram.data()), datagram.size());
    at += 2 + size;
  }
  std::string rest(data + at, n - at);
  c.partial.swap(rest);
}

int make_listener(const char *host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &a.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 || listen(fd, 4096) != 0) {
    std::perror("baseline-epoll-echo: bind/listen");
    std::exit(1);
  }
  return fd;
}

void serve(int listener, bool framed, std::atomic<uint64_t> &bytes, std::atomic<uint64_t> &accepted) {
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev);
  std::unordered_map<int, Conn> conns;
  std::vector<epoll_event> events(1024);
  std::vector<char> buf(65536);
  std::vector<unsigned char> datagram;
  uint64_t local_bytes = 0;
  auto flush = [&](int fd, Conn &c) {
    while (!c.pending.empty()) {
      const ssize_t n = send(fd, c.pending.data(), c.pending.size(), MSG_NOSIGNAL);
      if (n <= 0) return n < 0 && errno == EAGAIN;
      c.pending.erase(0, static_cast<size_t>(n));
    }
    return true;
  };
  while (!g_stop.load(std::memory_order_relaxed)) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        for (;;) {
          const int c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          const int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
          ev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
          conns[c];
          accepted.fetch_add(1, std::memory_order_relaxed);
        }
        continue;
      }
      Conn &c = conns[fd];
      bool alive = flush(fd, c);
      while (alive) {
        const ssize_t r = recv(fd, buf.data(), buf.size(), 0);
        if (r > 0) {
          local_bytes += static_cast<uint64_t>(r);
          if (framed) {
            echo_frames(c, buf.data(), static_cast<size_t>(r), datagram);
            if (static_cast<size_t>(r) < buf.size()) break;  // drained: written below
            continue;
          }
          if (c.pending.empty()) {
            const ssize_t w = send(fd, buf.data(), static_cast<size_t>(r), MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN) alive = false;
            if (w >= 0 && w < r) c.pending.assign(buf.data() + w, static_cast<size_t>(r - w));
            if (w < 0 && errno == EAGAIN) c.pending.assign(buf.data(), static_cast<size_t>(r));
          } else {
            c.pending.append(buf.data(), static_cast<size_t>(r));
          }
          continue;
        }
        if (r < 0 && errno == EAGAIN) break;
        alive = false;
      }
      if (alive && framed) alive = flush(fd, c);
      if (!alive) {
        close(fd);
        conns.erase(fd);
      }
    }
  }
  for (auto &[fd, c] : conns) close(fd);
  close(ep);
  bytes.fetch_add(local_bytes);
}

}  // namespace

int main(int argc, char **argv) {
  std::string host = "127.0.0.1";
  int port = -1, threads = 1;
  double duration = 0;
  bool framed = false;
  bench::Args args(argc, argv, "baseline-epoll-echo", kUsage);
  while (args.next()) {
    if (args.is("--port")) port = args.integer(0, 65535);
    else if (args.is("--host")) host = args.value();
    else if (args.is("--threads")) threads = args.integer(1, 256);
    else if (args.is("--duration")) duration = args.real(0, 1e7);
    else if (args.is("--framed")) framed = true;
    else args.unknown();
  }
  if (port < 0) args.fail("--port is required");
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  bench::raise_fd_limit();
  std::vector<int> listeners{make_listener(host.c_str(), port)};
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  getsockname(listeners[0], reinterpret_cast<sockaddr *>(&bound), &len);
  port = ntohs(bound.sin_port);
  for (int i = 1; i < threads; ++i) listeners.push_back(make_listener(host.c_str(), port));
  std::printf("listening on %s:%d backend=baseline-epoll threads=%d\n", host.c_str(), port, threads);
  std::fflush(stdout);
  std::atomic<uint64_t> bytes{0}, accepted{0};
  std::vector<std::thread> workers;
  for (int fd : listeners) workers.emplace_back([&, fd] { serve(fd, framed, bytes, accepted); });
  const auto start = std::chrono::steady_clock::now();
  while (!g_stop.load()) {
    if (duration > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= duration) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  g_stop.store(true);
  for (auto &w : workers) w.join();
  std::printf("summary: connections=%llu bytes=%llu\n", static_cast<unsigned long long>(accepted.load()),
              static_cast<unsigned long long>(bytes.load()));
  return 0;
}
