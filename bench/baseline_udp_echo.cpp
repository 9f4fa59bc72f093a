// baseline-udp-echo: the minimal hand-written UDP echo server queuednet's UDP path is measured
// against. N threads, each with its own SO_REUSEPORT socket; a blocking recvmmsg takes up to 64
// packets (MSG_WAITFORONE), sendmmsg sends each straight back to its sender (an echoed packet keeps its checksum header,
// so it is a valid Panda3D echo). No library, no queues, no checksum check.
//
//   baseline-udp-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS]
//
// Prints "listening on HOST:PORT backend=baseline-udp threads=N udp=PORT" and a summary on exit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "cli_args.h"
#include "server_options.h"
#include "server_process.h"

namespace {

constexpr const char *kUsage =
    "usage: baseline-udp-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS]\n"
    "Echoes every UDP packet to its sender with recvmmsg/sendmmsg, N threads on one port.\n";
constexpr int kBatch = 64;
constexpr size_t kMaxPacket = 65536;

int make_socket(const std::string &host, int port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  const timeval tick{0, 50000};  // a blocked receive returns every 50 ms to see the stop flag
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1 || bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
    std::perror("baseline-udp-echo: bind");
    std::exit(1);
  }
  return fd;
}

struct Totals {
  std::atomic<uint64_t> in{0}, out{0}, dropped{0};
};

void serve(int fd, Totals &totals) {
  std::vector<char> buffers(kBatch * kMaxPacket);
  sockaddr_storage from[kBatch];
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  uint64_t in = 0, out = 0, dropped = 0;
  while (!bench::g_stop.load(std::memory_order_relaxed)) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {buffers.data() + static_cast<size_t>(i) * kMaxPacket, kMaxPacket};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(fd, msgs, kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    in += static_cast<uint64_t>(n);
    for (int i = 0; i < n; ++i) iov[i].iov_len = msgs[i].msg_len;
    int done = 0;
    while (done < n) {
      const int sent = sendmmsg(fd, msgs + done, static_cast<unsigned>(n - done), MSG_DONTWAIT);
      if (sent > 0) {
        done += sent;
        out += static_cast<uint64_t>(sent);
      } else if (sent < 0 && errno == EAGAIN) {
        pollfd w{fd, POLLOUT, 0};
        if (poll(&w, 1, 10) <= 0) break;  // still full: what is left is dropped, as UDP may
      } else {
        ++done;  // this one failed (e.g. its sender is gone): skip it
        ++dropped;
      }
    }
    dropped += static_cast<uint64_t>(n - done);
  }
  totals.in.fetch_add(in);
  totals.out.fetch_add(out);
  totals.dropped.fetch_add(dropped);
}

}  // namespace

int main(int argc, char **argv) {
  bench::Args args(argc, argv, "baseline-udp-echo", kUsage);
  bench::ServerOptions o = bench::parse_server_options(args);
  bench::prepare_server_process();
  std::vector<int> fds{make_socket(o.host, o.port)};
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  getsockname(fds[0], reinterpret_cast<sockaddr *>(&bound), &len);
  o.port = ntohs(bound.sin_port);
  for (int i = 1; i < o.threads; ++i) fds.push_back(make_socket(o.host, o.port));
  std::printf("listening on %s:%d backend=baseline-udp threads=%d udp=%d\n", o.host.c_str(), o.port, o.threads,
              o.port);
  std::fflush(stdout);
  Totals totals;
  std::vector<std::thread> workers;
  for (int fd : fds) workers.emplace_back([&, fd] { serve(fd, totals); });
  bench::wait_for_stop(o.duration);
  for (auto &w : workers) w.join();
  for (int fd : fds) close(fd);
  std::printf("summary: datagrams_in=%llu datagrams_out=%llu dropped=%llu\n",
              static_cast<unsigned long long>(totals.in.load()), static_cast<unsigned long long>(totals.out.load()),
              static_cast<unsigned long long>(totals.dropped.load()));
  return 0;
}
