// baseline-epoll-echo: the minimal hand-written echo server queuednet is measured against.
// N threads, each with its own SO_REUSEPORT listener (listener.h) and edge-triggered epoll
// loop; every byte read is sent back straight from the read buffer (a framed echo is the same
// bytes), and only what the socket does not take then is copied into the connection's pending
// output (as is what is read while some waits there). No library, no queues. With --framed it
// does the least a Panda3D-model server must do instead (frames.h): it splits the bytes into
// frames, copies each datagram out, frames it again into the connection's output, and writes
// that once the socket is drained. Still no library, no queue, one thread per loop.
//
//   baseline-epoll-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS] [--framed]
//
// Prints "listening on HOST:PORT backend=baseline-epoll threads=N" and a summary on exit.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cli_args.h"
#include "frames.h"
#include "listener.h"
#include "server_options.h"
#include "server_process.h"

namespace {

constexpr const char *kUsage =
    "usage: baseline-epoll-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS] [--framed]\n"
    "Echoes every byte it reads on TCP, N threads with SO_REUSEPORT listeners and epoll.\n"
    "--framed: echoes datagram by datagram (2-byte length frames), each copied out and framed again.\n";

struct Conn {
  std::string pending;  // bytes the socket did not take yet
  std::string partial;  // --framed: the start of a frame not complete yet
};

void serve(int listener, bool framed, std::atomic<uint64_t> &bytes, std::atomic<uint64_t> &accepted) {
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev);
  std::unordered_map<int, Conn> conns;
  std::vector<epoll_event> events(1024);
  std::vector<char> buf(65536);
  std::vector<char> datagram;
  uint64_t local_bytes = 0;
  auto flush = [&](int fd, Conn &c) {
    while (!c.pending.empty()) {
      const ssize_t n = send(fd, c.pending.data(), c.pending.size(), MSG_NOSIGNAL);
      if (n <= 0) return n < 0 && errno == EAGAIN;
      c.pending.erase(0, static_cast<size_t>(n));
    }
    return true;
  };
  while (!bench::g_stop.load(std::memory_order_relaxed)) {
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
            bench::echo_frames(c.partial, c.pending, buf.data(), static_cast<size_t>(r), datagram);
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
  bench::Args args(argc, argv, "baseline-epoll-echo", kUsage);
  bench::ServerOptions o = bench::parse_server_options(args, true);
  bench::prepare_server_process();
  const std::vector<int> listeners =
      bench::open_listeners("baseline-epoll-echo", o.host, o.port, o.threads, SOCK_NONBLOCK);
  std::printf("listening on %s:%d backend=baseline-epoll threads=%d\n", o.host.c_str(), o.port, o.threads);
  std::fflush(stdout);
  std::atomic<uint64_t> bytes{0}, accepted{0};
  std::vector<std::thread> workers;
  for (int fd : listeners) workers.emplace_back([&, fd] { serve(fd, o.framed, bytes, accepted); });
  bench::wait_for_stop(o.duration);
  for (auto &w : workers) w.join();
  std::printf("summary: connections=%llu bytes=%llu\n", static_cast<unsigned long long>(accepted.load()),
              static_cast<unsigned long long>(bytes.load()));
  return 0;
}
