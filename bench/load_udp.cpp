// queuednet-echo-load, UDP: connected non-blocking sockets, edge-triggered epoll, recvmmsg and
// sendmmsg in batches so the load generator spends few system calls per datagram.
#include "load_udp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

namespace load {
namespace {

constexpr int kBatch = 64;

struct Pending {
  Clock::time_point sent_at;
  bool echoed = false;
};

struct Sock {
  int fd = -1;
  uint32_t id = 0;
  uint64_t next_seq = 0;          // next to send
  std::deque<Pending> pending;    // seqs [next_seq - pending.size(), next_seq), oldest first
  int in_flight = 0;              // pending entries neither echoed nor lost

  uint64_t first_pending_seq() const { return next_seq - pending.size(); }
};

uint16_t checksum(const unsigned char *p, size_t n) {
  unsigned sum = 0;
  for (size_t i = 0; i < n; ++i) sum += p[i];
  return static_cast<uint16_t>(sum);
}

class UdpWorker {
 public:
  UdpWorker(const Options &o, const Sockets &sockets)
      : o_(o),
        socks_(sockets.size()),
        packet_size_(2 + static_cast<size_t>(o.size)),
        out_(kBatch * packet_size_),
        in_(kBatch * (packet_size_ + 1)),
        loss_timeout_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.loss_timeout))) {
    for (size_t i = 0; i < sockets.size(); ++i) {
      socks_[i].id = sockets[i].first;
      socks_[i].fd = sockets[i].second;
    }
  }

  void run(Clock::time_point stop_sending, Stats &stats) {
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    for (Sock &s : socks_) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
      ev.data.ptr = &s;
      epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
      top_up(s, stats);
    }
    const auto give_up = stop_sending + loss_timeout_ + std::chrono::seconds(5);
    auto next_scan = Clock::now();
    std::vector<epoll_event> events(1024);
    for (;;) {
      const auto now = Clock::now();
      sending_ = o_.count > 0 ? true : now < stop_sending;
      if (now >= next_scan) {  // losses, and sockets whose send buffer was full
        for (Sock &s : socks_) {
          expire(s, now, stats);
          top_up(s, stats);
        }
        next_scan = now + std::chrono::milliseconds(5);
      }
      if (done() || now > give_up) break;
      const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 5);
      for (int i = 0; i < n; ++i) {
        Sock &s = *static_cast<Sock *>(events[i].data.ptr);
        if (events[i].events & EPOLLIN) receive(s, stats);
        top_up(s, stats);
      }
    }
    for (Sock &s : socks_) {  // what is still out at the bound is lost
      for (const Pending &p : s.pending) {
        if (!p.echoed) Stats::bump(stats.lost);
      }
    }
    close(ep);
  }

 private:
  bool may_send(const Sock &s) const {
    return sending_ && (o_.count == 0 || s.next_seq < static_cast<uint64_t>(o_.count));
  }

  bool done() const {
    for (const Sock &s : socks_) {
      if (s.in_flight > 0 || (may_send(s) && s.in_flight < o_.window)) return false;
    }
    return true;
  }

  void fill(unsigned char *p, uint32_t id, uint64_t seq) const {
    unsigned char *payload = p + 2;
    const size_t size = static_cast<size_t>(o_.size);
    for (size_t i = 0; i < 8; ++i) payload[i] = static_cast<unsigned char>(seq >> (8 * i));
    for (size_t i = 8; i < size; ++i) payload[i] = payload_byte(id, seq, i);
    const uint16_t sum = checksum(payload, size);
    p[0] = static_cast<unsigned char>(sum & 0xff);
    p[1] = static_cast<unsigned char>(sum >> 8);
  }

  // Sends new datagrams until the window is full; one sendmmsg per batch.
  void top_up(Sock &s, Stats &stats) {
    while (may_send(s) && s.in_flight < o_.window) {
      int n = std::min(o_.window - s.in_flight, kBatch);
      if (o_.count > 0) n = static_cast<int>(std::min<uint64_t>(n, static_cast<uint64_t>(o_.count) - s.next_seq));
      mmsghdr msgs[kBatch]{};
      iovec iov[kBatch];
      for (int i = 0; i < n; ++i) {
        unsigned char *p = out_.data() + static_cast<size_t>(i) * packet_size_;
        fill(p, s.id, s.next_seq + static_cast<uint64_t>(i));
        iov[i] = {p, packet_size_};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const auto now = Clock::now();  // before the call: on loopback the echo may be back when it returns
      const int sent = sendmmsg(s.fd, msgs, static_cast<unsigned>(n), MSG_DONTWAIT);
      if (sent <= 0) return;  // buffer full (EAGAIN) or an ICMP error: the 5 ms scan retries
      for (int i = 0; i < sent; ++i) {
        s.pending.push_back({now, false});
        Stats::bump(stats.sent);
      }
      s.next_seq += static_cast<uint64_t>(sent);
      s.in_flight += sent;
      if (sent < n) return;
    }
  }

  void receive(Sock &s, Stats &stats) {
    const size_t slot = packet_size_ + 1;  // one spare byte tells an oversized packet
    for (;;) {
      mmsghdr msgs[kBatch]{};
      iovec iov[kBatch];
      for (int i = 0; i < kBatch; ++i) {
        iov[i] = {in_.data() + static_cast<size_t>(i) * slot, slot};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = recvmmsg(s.fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;  // EAGAIN; ECONNREFUSED (an ICMP error) is not an echo either
      const auto now = Clock::now();
      for (int i = 0; i < n; ++i) check(s, in_.data() + static_cast<size_t>(i) * slot, msgs[i].msg_len, now, stats);
      if (n < kBatch) return;
    }
  }

  void check(Sock &s, const unsigned char *p, size_t len, Clock::time_point now, Stats &stats) {
    const size_t size = static_cast<size_t>(o_.size);
    if (len != packet_size_ || checksum(p + 2, size) != (p[0] | (p[1] << 8))) {
      Stats::bump(stats.mismatches);
      return;
    }
    uint64_t seq = 0;
    for (size_t i = 0; i < 8; ++i) seq |= static_cast<uint64_t>(p[2 + i]) << (8 * i);
    bool ok = seq < s.next_seq;
    for (size_t i = 8; ok && i < size; ++i) ok = p[2 + i] == payload_byte(s.id, seq, i);
    if (!ok) {
      Stats::bump(stats.mismatches);
      return;
    }
    if (seq < s.first_pending_seq()) {  // counted lost already
      Stats::bump(stats.late);
      return;
    }
    Pending &pending = s.pending[seq - s.first_pending_seq()];
    if (pending.echoed) {
      Stats::bump(stats.mismatches);  // a second echo of one datagram
      return;
    }
    pending.echoed = true;
    --s.in_flight;
    stats.record_echo(pending.sent_at, now);
    while (!s.pending.empty() && s.pending.front().echoed) s.pending.pop_front();
  }

  void expire(Sock &s, Clock::time_point now, Stats &stats) {
    while (!s.pending.empty() && (s.pending.front().echoed || now - s.pending.front().sent_at > loss_timeout_)) {
      if (!s.pending.front().echoed) {
        Stats::bump(stats.lost);
        --s.in_flight;
      }
      s.pending.pop_front();
    }
  }

  const Options &o_;
  std::vector<Sock> socks_;
  const size_t packet_size_;
  std::vector<unsigned char> out_, in_;
  const Clock::duration loss_timeout_;
  bool sending_ = true;
};

}  // namespace

int open_udp(const Options &o) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(o.port));
  inet_pton(AF_INET, o.host.c_str(), &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

void run_udp_worker(const Options &o, const Sockets &sockets, Clock::time_point stop_sending, Stats &stats) {
  UdpWorker(o, sockets).run(stop_sending, stats);
}

}  // namespace load
