// queuednet-churn-load's worker: edge-triggered epoll over non-blocking sockets. A slot's
// connection is identified in the kernel's event data by slot index and generation, so an
// event for a connection the slot has already replaced is ignored.
#include "churn_worker.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "churn_exchange.h"
#include "tcp_connect.h"

namespace churn {
namespace {

constexpr int kMaxFailureLines = 10;  // over all workers
std::atomic<int> g_failure_lines{0};

enum class Leave { close, half_close, reset };
enum class State { idle, connecting, exchanging, awaiting_eof };

struct Slot {
  int fd = -1;
  uint32_t generation = 0;
  State state = State::idle;
  Leave leave = Leave::close;
  bool shut_wr = false;
  int connect_error = 0;    // why the last connect failed at once
  Clock::time_point since;  // start of the current wait: connect, reconnect or the server's EOF
  Exchange x;
};

class Worker {
 public:
  Worker(const Options &o, const sockaddr_in &server, int slots, uint32_t index, Counters &counters)
      : o_(o), server_(server), slots_(static_cast<size_t>(slots)), index_(index), c_(counters),
        rng_(o.seed * 1000003u + index),
        timeout_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout))) {}

  void run(Clock::time_point churn_until, const std::atomic<bool> &stop) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) {
      std::fprintf(stderr, "queuednet-churn-load: epoll_create1: %s\n", std::strerror(errno));
      Counters::add(c_.failures, 1);
      return;
    }
    for (size_t i = 0; i < slots_.size(); ++i) open(i);
    std::vector<epoll_event> events(512);
    auto next_sweep = Clock::now();
    Clock::time_point give_up{};
    for (;;) {
      const auto now = Clock::now();
      if (!stopping_ && (now >= churn_until || stop.load(std::memory_order_relaxed))) {
        begin_stop();
        give_up = now + timeout_ + std::chrono::seconds(1);
      }
      if (stopping_ && (active_ == 0 || now > give_up)) break;
      if (now >= next_sweep) {
        sweep(now);
        next_sweep = now + std::chrono::milliseconds(100);
      }
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 50);
      for (int i = 0; i < n; ++i) {
        const size_t index = static_cast<uint32_t>(events[i].data.u64);
        const uint32_t generation = static_cast<uint32_t>(events[i].data.u64 >> 32);
        Slot &s = slots_[index];
        if (s.generation == generation && s.fd >= 0) handle(index, events[i].events);
      }
    }
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].fd >= 0) fail(i, "still open when the worker gave up");
    }
    close(ep_);
  }

 private:
  uint32_t pick(uint32_t low, uint32_t high) { return std::uniform_int_distribution<uint32_t>(low, high)(rng_); }

  // A connect that failed at once for lack of a local port or buffer is retried for up to the
  // timeout before it counts as a failure; any other reason (refused) counts at once.
  static bool out_of_ports(int error) { return error == EADDRNOTAVAIL || error == EAGAIN || error == ENOBUFS; }

  // Starts the slot's next connection; a connect that fails at once is retried by the sweep.
  void open(size_t index) {
    Slot &s = slots_[index];
    ++s.generation;
    s.x.start(index_ + static_cast<uint32_t>(o_.threads) * next_id_++, pick(1, kMaxDatagrams));
    s.leave = static_cast<Leave>(next_leave_++ % 3);
    s.shut_wr = false;
    s.since = Clock::now();
    s.state = State::idle;
    const int fd = bench::start_connect(server_);
    if (fd < 0) {
      s.connect_error = errno;
      if (!out_of_ports(errno)) fail(index, std::string("connect: ") + std::strerror(errno));
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = index | (static_cast<uint64_t>(s.generation) << 32);
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    s.fd = fd;
    s.state = State::connecting;
    ++active_;
  }

  // The connection has left: close it and, while churning, start the next.
  void finish(size_t index) {
    drop(index);
    if (!stopping_) open(index);
  }

  void drop(size_t index) {
    Slot &s = slots_[index];
    if (s.state == State::exchanging || s.state == State::awaiting_eof) Counters::add(c_.open, -1);
    close(s.fd);
    s.fd = -1;
    s.state = State::idle;
    --active_;
  }

  // Counts a failure and closes the connection; the sweep starts the slot's next one.
  void fail(size_t index, const std::string &why) {
    Slot &s = slots_[index];
    Counters::add(c_.failures, 1);
    if (g_failure_lines.fetch_add(1) < kMaxFailureLines) {
      std::fprintf(stderr, "queuednet-churn-load: connection %u (%u of %u echoes back): %s\n", s.x.id(),
                   s.x.echoed(), s.x.total(), why.c_str());
    }
    if (s.fd >= 0) drop(index);
    s.since = Clock::now();
  }

  void handle(size_t index, uint32_t events) {
    Slot &s = slots_[index];
    const uint32_t generation = s.generation;
    if (s.state == State::connecting) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      if (const int error = bench::connect_result(s.fd); error != 0) {
        fail(index, std::string("connect: ") + std::strerror(error));
        return;
      }
      s.state = State::exchanging;
      Counters::add(c_.opened, 1);
      Counters::add(c_.open, 1);
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) receive(index);
    if (s.generation == generation && s.fd >= 0) advance(index);
  }

  // Leaves once every echo is back; otherwise keeps the window full and writes.
  void advance(size_t index) {
    Slot &s = slots_[index];
    if (s.state == State::exchanging && s.x.all_echoed()) {
      leave(index);
      return;
    }
    while (!stopping_ && !s.x.all_queued() && s.x.in_flight() < kWindow) {
      s.x.queue_datagram(pick(1, kMaxSize), Clock::now());
      Counters::add(c_.sent, 1);
    }
    flush(index);
  }

  void flush(size_t index) {
    Slot &s = slots_[index];
    while (s.x.output_size() > 0) {
      const ssize_t n = send(s.fd, s.x.output(), s.x.output_size(), MSG_NOSIGNAL);
      if (n > 0) {
        s.x.wrote(static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        return;
      } else {
        fail(index, std::string("send: ") + std::strerror(errno));
        return;
      }
    }
    if (s.leave == Leave::half_close && !s.shut_wr && s.x.all_queued()) {
      shutdown(s.fd, SHUT_WR);  // right after the last datagram: the server must echo it all, then close
      s.shut_wr = true;
    }
  }

  void receive(size_t index) {
    Slot &s = slots_[index];
    bool eof = false;
    char buf[65536];
    for (;;) {
      const ssize_t n = recv(s.fd, buf, sizeof buf, 0);
      if (n > 0) {
        s.x.received(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        eof = true;
        break;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN) {
        break;
      } else {
        fail(index, std::string("recv: ") + std::strerror(errno));
        return;
      }
    }
    std::string error;
    Counters::add(c_.echoed, static_cast<int64_t>(s.x.take_echoes(error)));
    if (!error.empty()) {
      fail(index, error);
      return;
    }
    if (s.leave == Leave::half_close && s.x.all_echoed() && s.state == State::exchanging) {
      s.state = State::awaiting_eof;
      s.since = Clock::now();
    }
    if (!eof) return;
    if (s.state != State::awaiting_eof) {
      fail(index, s.shut_wr ? "the server closed before echoing everything" : "the server closed the connection");
    } else if (s.x.input_size() > 0) {
      fail(index, std::to_string(s.x.input_size()) + " bytes after the last echo");
    } else {
      Counters::add(c_.half_closed, 1);
      finish(index);
    }
  }

  // Every echo is back: close, or send half a frame and reset. (A half-closing connection
  // leaves when the server's EOF arrives.) Bytes beyond the last echo that are already here
  // fail the connection instead.
  void leave(size_t index) {
    Slot &s = slots_[index];
    if (const size_t extra = unexpected_bytes(s); extra > 0) {
      fail(index, std::to_string(extra) + " bytes after the last echo");
      return;
    }
    if (s.leave == Leave::reset) {
      s.x.queue_cut_frame(pick(2, kMaxSize));
      // One small send into an idle socket; whatever part of it the kernel takes, the server
      // sees a frame cut short by the reset.
      [[maybe_unused]] const ssize_t n = send(s.fd, s.x.output(), s.x.output_size(), MSG_NOSIGNAL);
      const linger abort{1, 0};
      setsockopt(s.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
      Counters::add(c_.reset, 1);
    } else {
      Counters::add(c_.closed, 1);
    }
    finish(index);
  }

  // Bytes received beyond the last echo: any left over in the exchange, and any already waiting
  // in the socket (one non-blocking read, which returns EAGAIN when there are none). Bytes still
  // on their way are not waited for.
  static size_t unexpected_bytes(const Slot &s) {
    char buf[4096];
    const ssize_t n = recv(s.fd, buf, sizeof buf, MSG_DONTWAIT);
    return s.x.input_size() + (n > 0 ? static_cast<size_t>(n) : 0);
  }

  // The churn ends: no new datagrams or connections; each connection leaves with close() once
  // its echoes are back (one already half-closed waits for the server's EOF).
  void begin_stop() {
    stopping_ = true;
    for (size_t i = 0; i < slots_.size(); ++i) {
      Slot &s = slots_[i];
      if (s.state == State::awaiting_eof || s.fd < 0) continue;
      s.x.end_early();
      if (!s.shut_wr) s.leave = Leave::close;
      if (s.state == State::exchanging) advance(i);
    }
  }

  // Fails what waited too long; reconnects the slots left without a connection.
  void sweep(Clock::time_point now) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      Slot &s = slots_[i];
      switch (s.state) {
        case State::idle: {
          if (stopping_) break;
          const auto failing_since = s.since;
          open(i);
          if (s.state != State::idle || !out_of_ports(s.connect_error)) break;
          s.since = failing_since;  // a connect that keeps failing at once counts once per timeout
          if (now - failing_since > timeout_) fail(i, std::string("connect: ") + std::strerror(s.connect_error));
          break;
        }
        case State::connecting:
          if (now - s.since > timeout_) fail(i, "connect timed out");
          break;
        case State::exchanging:
          if (s.x.in_flight() > 0 && now - s.x.oldest_sent() > timeout_) fail(i, "echo timed out");
          break;
        case State::awaiting_eof:
          if (now - s.since > timeout_) fail(i, "no close from the server after the last echo");
          break;
      }
    }
  }

  const Options &o_;
  const sockaddr_in server_;
  std::vector<Slot> slots_;
  const uint32_t index_;
  Counters &c_;
  std::mt19937_64 rng_;
  const Clock::duration timeout_;
  int ep_ = -1;
  size_t active_ = 0;  // slots with a socket
  uint32_t next_id_ = 0;
  uint32_t next_leave_ = 0;
  bool stopping_ = false;
};

}  // namespace

void run_worker(const Options &o, const sockaddr_in &server, int slots, uint32_t index, Clock::time_point churn_until,
                const std::atomic<bool> &stop, Counters &counters) {
  Worker(o, server, slots, index, counters).run(churn_until, stop);
}

}  // namespace churn
