// queuednet-broadcast-load's worker: one edge-triggered epoll loop over its share of the
// clients. It sends each client's join, waits for the main thread's go, sends data datagrams
// on the run's schedule until its end, then waits (at most kDrainSeconds) until each of its
// clients has every datagram its room's senders sent, and keeps reading until kQuietSeconds
// after every worker's clients have theirs. Every datagram a client receives is checked: a join
// ack must be its own room's and come once; data must have the run's size, come from a sender
// of the client's room with exactly the next sequence expected from that sender, one its
// sender sent, and carry that sender's padding. Nothing may be left of a frame at the end. The
// first violation fails the run.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "broadcast_load.h"
#include "broadcast_wire.h"
#include "load_common.h"

namespace broadcast {
namespace {

[[gnu::format(printf, 1, 2)]] std::string format(const char *fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

struct Client {
  int fd = -1;
  uint32_t id = 0;
  uint32_t room = 0;            // id / room_size
  uint32_t first = 0;           // the room's first client id
  std::vector<uint32_t> next;   // per sender of the room (id - first): the sequence expected next
  uint32_t seq = 0;             // the sequence this client sends next
  bool acked = false;
  uint64_t delivered = 0, expected = 0;
  std::string out;              // bytes the socket has not taken yet, from out_off
  size_t out_off = 0;
  std::string in;               // bytes received, not yet a whole frame
};

class Worker {
 public:
  Worker(Run &run, const std::vector<uint32_t> &ids, const std::vector<int> &fds, WorkerResult &result)
      : run_(run), o_(run.options), result_(result), clients_(ids.size()), buf_(65536) {
    for (size_t i = 0; i < ids.size(); ++i) {
      Client &c = clients_[i];
      c.fd = fds[i];
      c.id = ids[i];
      c.room = c.id / o_.room_size;
      c.first = c.room * o_.room_size;
      c.next.assign(std::min(o_.room_size, o_.clients - c.first), 0);
    }
  }

  void run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    for (size_t i = 0; i < clients_.size(); ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.u64 = i;
      epoll_ctl(ep_, EPOLL_CTL_ADD, clients_[i].fd, &ev);
      send_join(clients_[i]);
    }
    std::vector<epoll_event> events(1024);
    while (!run_.abort.load(std::memory_order_relaxed) && step()) {
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), timeout_ms());
      for (int i = 0; i < n && !run_.abort.load(std::memory_order_relaxed); ++i) {
        Client &c = clients_[events[i].data.u64];
        if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) receive(c);
        if (events[i].events & EPOLLOUT) flush(c);
      }
    }
    close(ep_);
  }

 private:
  enum class Phase { joining, sending, draining, quiet };

  // Moves the run on; false once this worker is done (or has failed).
  bool step() {
    const int64_t now = monotonic_ns();
    if (phase_ == Phase::joining && run_.go.load(std::memory_order_acquire)) {
      phase_ = Phase::sending;
      period_ns_ = 1e9 / o_.rate;
    }
    if (phase_ == Phase::sending) {
      send_due(now);
      if (now < run_.send_end_ns) return true;
      for (const Client &c : clients_) run_.sent[c.id] = c.seq;
      run_.finished_sending.fetch_add(1, std::memory_order_release);
      phase_ = Phase::draining;
    }
    if (phase_ == Phase::quiet) return listen_quietly(now);
    if (phase_ != Phase::draining) return true;
    if (!expected_known_) {
      if (run_.finished_sending.load(std::memory_order_acquire) < run_.workers) return true;
      for (Client &c : clients_) {
        for (uint32_t s = 0; s < c.next.size(); ++s) {
          const uint32_t sender = c.first + s;
          if (c.next[s] > run_.sent[sender]) return fail_beyond_sent(c, sender, c.next[s] - 1);
          c.expected += run_.sent[sender];
        }
        result_.expected += c.expected;
      }
      expected_known_ = true;
    }
    if (result_.delivered == result_.expected) {
      run_.finished_delivering.fetch_add(1);
      phase_ = Phase::quiet;
      return true;
    }
    if (now > run_.send_end_ns + static_cast<int64_t>(kDrainSeconds * 1e9)) {
      const Client &c = *std::find_if(clients_.begin(), clients_.end(),
                                      [](const Client &x) { return x.delivered != x.expected; });
      run_.fail(format("client %u got %llu of its %llu deliveries within %g s after sending stopped", c.id,
                       static_cast<unsigned long long>(c.delivered), static_cast<unsigned long long>(c.expected),
                       kDrainSeconds));
      return false;
    }
    return true;
  }

  // Fails the run for a datagram (`seq` of `sender`) its sender did not send; false.
  bool fail_beyond_sent(const Client &c, uint32_t sender, uint32_t seq) {
    run_.fail(format("client %u: from sender %u sequence %u, but it sent %u", c.id, sender, seq, run_.sent[sender]));
    return false;
  }

  // Every delivery is in: reads on until kQuietSeconds after every worker's clients have theirs,
  // then checks that no client holds part of a frame; false at the end.
  bool listen_quietly(int64_t now) {
    if (quiet_end_ns_ == 0) {
      if (run_.finished_delivering.load() < run_.workers) return true;
      quiet_end_ns_ = now + static_cast<int64_t>(kQuietSeconds * 1e9);
    }
    if (now < quiet_end_ns_) return true;
    for (const Client &c : clients_) {
      if (c.in.empty()) continue;
      run_.fail(format("client %u: %zu bytes of a frame that never completed", c.id, c.in.size()));
      break;
    }
    return false;
  }

  // When client `pos` (in id order) sends its datagram of round `round`.
  int64_t due(uint64_t round, size_t pos) const {
    const double phase = static_cast<double>(clients_[pos].id) / o_.clients;
    return run_.send_start_ns + static_cast<int64_t>((static_cast<double>(round) + phase) * period_ns_);
  }

  void send_due(int64_t now) {
    for (int64_t t = due(round_, pos_); t <= now && t < run_.send_end_ns; t = due(round_, pos_)) {
      send_data(clients_[pos_]);
      if (++pos_ == clients_.size()) {
        pos_ = 0;
        ++round_;
      }
    }
  }

  int timeout_ms() const {
    if (phase_ == Phase::joining) return 1;  // the go comes 10 ms before the first send
    if (phase_ == Phase::draining || phase_ == Phase::quiet) return 10;
    const int64_t next = std::min(due(round_, pos_), run_.send_end_ns);
    const int64_t wait = (next - monotonic_ns() + 999999) / 1000000;
    return static_cast<int>(std::clamp<int64_t>(wait, 0, 10));
  }

  unsigned char *append_frame(Client &c, size_t size) {
    const size_t at = c.out.size();
    c.out.resize(at + kFrameHeaderSize + size);
    auto *p = reinterpret_cast<unsigned char *>(c.out.data() + at);
    p[0] = static_cast<unsigned char>(size & 0xff);
    p[1] = static_cast<unsigned char>(size >> 8);
    return p + kFrameHeaderSize;
  }

  void send_join(Client &c) {
    unsigned char *d = append_frame(c, kJoinSize);
    d[0] = kJoin;
    put_u32(d + 1, c.room);
    flush(c);
  }

  void send_data(Client &c) {
    unsigned char *d = append_frame(c, o_.size);
    d[0] = kData;
    put_u32(d + 1, c.id);
    put_u32(d + 5, c.seq);
    put_u64(d + 9, static_cast<uint64_t>(monotonic_ns()));
    for (size_t j = kDataHeaderSize; j < o_.size; ++j) d[j] = load::payload_byte(c.id, c.seq, j);
    ++c.seq;
    ++result_.sent;
    flush(c);
  }

  void flush(Client &c) {
    while (c.out_off < c.out.size()) {
      const ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      run_.fail(format("client %u: send failed: %s", c.id, std::strerror(errno)));
      return;
    }
    c.out.clear();
    c.out_off = 0;
  }

  void receive(Client &c) {
    for (;;) {
      const ssize_t n = recv(c.fd, buf_.data(), buf_.size(), 0);
      if (n > 0) {
        c.in.append(buf_.data(), static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      run_.fail(n == 0 ? format("client %u: the server closed the connection", c.id)
                       : format("client %u: receive failed: %s", c.id, std::strerror(errno)));
      return;
    }
    const int64_t now = monotonic_ns();
    size_t off = 0;
    while (c.in.size() - off >= kFrameHeaderSize) {
      const auto *p = reinterpret_cast<const unsigned char *>(c.in.data() + off);
      const size_t size = p[0] | size_t{p[1]} << 8;
      if (c.in.size() - off - kFrameHeaderSize < size) break;
      if (!check(c, p + kFrameHeaderSize, size, now)) return;
      off += kFrameHeaderSize + size;
    }
    c.in.erase(0, off);
  }

  // Checks one received datagram and counts it; false (the run failed) if it is wrong.
  bool check(Client &c, const unsigned char *d, size_t size, int64_t now) {
    if (size == kJoinSize && d[0] == kJoin) {
      if (c.acked || get_u32(d + 1) != c.room) {
        run_.fail(format("client %u (room %u): %s join ack for room %u", c.id, c.room, c.acked ? "a second" : "a",
                         get_u32(d + 1)));
        return false;
      }
      c.acked = true;
      run_.acked.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    if (size == 0 || d[0] != kData || size != o_.size || !c.acked) {
      run_.fail(format("client %u: a %zu-byte datagram starting with 0x%02x%s (data is %u bytes)", c.id, size,
                       size > 0 ? d[0] : 0, c.acked ? "" : " before its join ack", o_.size));
      return false;
    }
    const uint32_t sender = get_u32(d + 1), seq = get_u32(d + 5);
    if (sender < c.first || sender - c.first >= c.next.size()) {
      run_.fail(format("client %u (room %u): a datagram from client %u of room %u", c.id, c.room, sender,
                       sender / o_.room_size));
      return false;
    }
    uint32_t &expected = c.next[sender - c.first];
    if (seq != expected) {
      // Each sequence is taken only in order, so one below the next expected came before.
      run_.fail(format("client %u: from sender %u sequence %u where %u was expected (%s)", c.id, sender, seq,
                       expected, seq > expected ? "a gap or a reordering" : "a duplicate"));
      return false;
    }
    if (expected_known_ && seq >= run_.sent[sender]) return fail_beyond_sent(c, sender, seq);
    for (size_t j = kDataHeaderSize; j < size; ++j) {
      if (d[j] != load::payload_byte(sender, seq, j)) {
        run_.fail(format("client %u: datagram %u of sender %u differs at byte %zu", c.id, seq, sender, j));
        return false;
      }
    }
    ++expected;
    ++c.delivered;
    ++result_.delivered;
    const int64_t us = (now - static_cast<int64_t>(get_u64(d + 9))) / 1000;
    ++result_.latency_us[static_cast<size_t>(std::clamp<int64_t>(us, 0, static_cast<int64_t>(result_.latency_us.size()) - 1))];
    result_.last_delivery_ns = now;
    return true;
  }

  Run &run_;
  const Options &o_;
  WorkerResult &result_;
  std::vector<Client> clients_;  // in id order
  std::vector<char> buf_;
  int ep_ = -1;
  Phase phase_ = Phase::joining;
  double period_ns_ = 0;
  uint64_t round_ = 0;  // the next send is client pos_'s of round round_
  size_t pos_ = 0;
  bool expected_known_ = false;
  int64_t quiet_end_ns_ = 0;  // 0 until every worker's clients have every delivery
};

}  // namespace

void run_worker(Run &run, const std::vector<uint32_t> &ids, const std::vector<int> &fds, WorkerResult &result) {
  Worker(run, ids, fds, result).run();
}

}  // namespace broadcast
