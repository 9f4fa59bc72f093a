// queuednet-idle-load: opens many TCP connections to an echo server, makes each exchange one
// datagram (so the server has accepted and served it), then holds them idle: what a server
// keeps per idle connection can then be read from its memory. See kUsage.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli_args.h"
#include "fd_limit.h"
#include "load_common.h"
#include "target_option.h"
#include "tcp_connect.h"

namespace {

using load::Clock;

constexpr const char *kProgram = "queuednet-idle-load";
constexpr const char *kUsage =
    "usage: queuednet-idle-load --port P [options]\n"
    "Opens N TCP connections to an echo server (2-byte little-endian length frames), sends one\n"
    "8-byte datagram on each and waits for its echo, then holds them all idle.\n"
    "\n"
    "  --port P             the server's port\n"
    "  --host H             the server's IPv4 address (default 127.0.0.1)\n"
    "  --connections N      connections (default 5000)\n"
    "  --hold SECONDS       how long to hold them once ready (default 60)\n"
    "  --timeout SECONDS    how long all of them may take to get ready (default 30)\n"
    "  -h, --help           this text\n"
    "\n"
    "Prints 'ready: connections=N' once every connection has its echo, holds them until\n"
    "SIGINT/SIGTERM or --hold, closes them and prints 'load: connections=N ready_seconds=...\n"
    "held_seconds=... closed_by_server=... result=ok|FAILED'.\n"
    "Exit status: 0 ok; 1 when a connection fails, is not ready in time or the server closes one;\n"
    "2 on a bad argument.\n";

constexpr int kPending = 256;  // connections connecting or waiting for their echo at once
constexpr size_t kPayload = 8;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

struct Options {
  std::string host = "127.0.0.1";
  int port = -1;
  int connections = 5000;
  double hold = 60;
  double timeout = 30;
};

Options parse(int argc, char **argv) {
  Options o;
  bench::Args args(argc, argv, kProgram, kUsage);
  while (args.next()) {
    if (bench::take_target_option(args, o.host, o.port)) continue;
    if (args.is("--connections")) o.connections = args.integer(1, 1000000);
    else if (args.is("--hold")) o.hold = args.real(0, 1e6);
    else if (args.is("--timeout")) o.timeout = args.real(0.1, 3600);
    else args.unknown();
  }
  bench::check_target(args, o.host, o.port);
  return o;
}

enum class State { connecting, awaiting_echo, ready, closed };

struct Conn {
  int fd = -1;
  State state = State::connecting;
  std::string in;
};

class IdleLoad {
 public:
  explicit IdleLoad(const Options &o) : o_(o), conns_(static_cast<size_t>(o.connections)) {}

  ~IdleLoad() {
    for (Conn &c : conns_) {
      if (c.fd >= 0) close(c.fd);
    }
    if (ep_ >= 0) close(ep_);
  }

  // Every connection connected and echoed, within the timeout; false (said on stderr) if not.
  bool open_all() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    sockaddr_in server{};
    bench::ipv4_address(o_.host, o_.port, server);
    const auto give_up = Clock::now() + seconds(o_.timeout);
    size_t started = 0;
    std::vector<epoll_event> events(512);
    while (ready_ < conns_.size()) {
      for (; started < conns_.size() && started - ready_ < kPending; ++started) {
        if (!start(started, server)) return false;
      }
      if (g_stop.load()) {
        std::fprintf(stderr, "%s: stopped by a signal with %zu of %zu connections ready\n", kProgram, ready_, conns_.size());
        return false;
      }
      if (Clock::now() > give_up) {
        std::fprintf(stderr, "%s: %zu of %zu connections ready after %g s\n", kProgram, ready_, conns_.size(), o_.timeout);
        return false;
      }
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) {
        if (!progress(events[i].data.u64, events[i].events)) return false;
      }
    }
    return true;
  }

  // Holds the connections until a signal or the hold time; false if the server closed one.
  bool hold() {
    const auto until = Clock::now() + seconds(o_.hold);
    std::vector<epoll_event> events(512);
    while (!g_stop.load() && Clock::now() < until) {
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) {
        Conn &c = conns_[events[i].data.u64];
        if (c.state != State::ready || !(events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) continue;
        close(c.fd);  // an idle connection hears nothing from an echo server but its close
        c.fd = -1;
        c.state = State::closed;
        ++closed_by_server_;
      }
    }
    return closed_by_server_ == 0;
  }

  size_t closed_by_server() const { return closed_by_server_; }

 private:
  static Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }

  bool start(size_t index, const sockaddr_in &server) {
    const int fd = bench::start_connect(server);
    if (fd < 0) return failed(index, "connect", errno);
    conns_[index].fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = index;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    return true;
  }

  bool progress(size_t index, uint32_t events) {
    Conn &c = conns_[index];
    if (c.state == State::connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      if (const int error = bench::connect_result(c.fd); error != 0) return failed(index, "connect", error);
      unsigned char frame[2 + kPayload] = {kPayload, 0};
      for (size_t i = 0; i < kPayload; ++i) frame[2 + i] = load::payload_byte(static_cast<uint32_t>(index), 0, i);
      if (send(c.fd, frame, sizeof frame, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof frame)) {
        return failed(index, "send", errno);
      }
      c.state = State::awaiting_echo;
    }
    if (c.state != State::awaiting_echo || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) return true;
    char buf[64];
    for (;;) {
      const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) c.in.append(buf, static_cast<size_t>(n));
      else if (n == 0) return failed(index, "the server closed the connection before the echo", 0);
      else if (errno == EINTR) continue;
      else if (errno == EAGAIN) break;
      else return failed(index, "recv", errno);
    }
    if (c.in.size() > 2 + kPayload) return failed(index, "more came back than was sent", 0);
    if (c.in.size() < 2 + kPayload) return true;
    bool same = static_cast<unsigned char>(c.in[0]) == kPayload && c.in[1] == 0;
    for (size_t i = 0; same && i < kPayload; ++i) {
      same = static_cast<unsigned char>(c.in[2 + i]) == load::payload_byte(static_cast<uint32_t>(index), 0, i);
    }
    if (!same) return failed(index, "the echo differs from the datagram", 0);
    c.state = State::ready;
    c.in = std::string();
    ++ready_;
    return true;
  }

  bool failed(size_t index, const char *what, int error) {
    if (error != 0) std::fprintf(stderr, "%s: connection %zu: %s: %s\n", kProgram, index, what, std::strerror(error));
    else std::fprintf(stderr, "%s: connection %zu: %s\n", kProgram, index, what);
    return false;
  }

  const Options &o_;
  std::vector<Conn> conns_;
  int ep_ = -1;
  size_t ready_ = 0;
  size_t closed_by_server_ = 0;
};

}  // namespace

int main(int argc, char **argv) {
  const Options o = parse(argc, argv);
  bench::raise_fd_limit();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  const auto start = Clock::now();
  const auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  IdleLoad load(o);
  if (!load.open_all()) {
    std::printf("load: connections=%d result=FAILED\n", o.connections);
    return 1;
  }
  const double ready_seconds = since(start);
  std::printf("ready: connections=%d\n", o.connections);
  std::fflush(stdout);
  const auto held = Clock::now();
  const bool ok = load.hold();
  std::printf("load: connections=%d ready_seconds=%.2f held_seconds=%.1f closed_by_server=%zu result=%s\n",
              o.connections, ready_seconds, since(held), load.closed_by_server(), ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
