// baseline-uring-echo: the io_uring twin of baseline-epoll-echo, the hand-written floor that
// queuednet's io_uring backend is measured against. N threads, each with its own ring and its
// own SO_REUSEPORT listener (listener.h): one multishot accept, one multishot receive per
// connection into the ring's provided buffers, at most one send in flight per connection. A
// turn submits every queued SQE and waits in one io_uring_enter, then handles every completion.
// Every byte received is copied into the connection's pending output, so that the provided
// buffer goes back to the ring at once, and sent from there: one copy per byte more than
// baseline-epoll-echo, which sends straight from its read buffer. --framed means what it means
// for baseline-epoll-echo (frames.h): the bytes are split into frames (2-byte little-endian
// length), each datagram copied out and framed again into the output.
//
//   baseline-uring-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS] [--framed]
//
// Prints "listening on HOST:PORT backend=baseline-uring threads=N" once ready and, on exit,
// "summary: connections=N bytes=N" (bytes read; with --framed also datagrams=N).
// Needs Linux 6.0 (multishot receive, the newest feature it cannot do without): on an older
// kernel, or where io_uring is refused, it exits 1 at start with one line "baseline-uring-echo:
// io_uring unavailable: ...". Each feature's version is noted where it is used.
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli_args.h"
#include "frames.h"
#include "listener.h"
#include "server_options.h"
#include "server_process.h"

namespace {

constexpr const char *kUsage =
    "usage: baseline-uring-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS] [--framed]\n"
    "Echoes every byte it reads on TCP, N threads with SO_REUSEPORT listeners and one io_uring each.\n"
    "--framed: echoes datagram by datagram (2-byte length frames), each copied out and framed again.\n";

constexpr unsigned kSqEntries = 4096;
constexpr unsigned kCqEntries = 16384;
constexpr unsigned kBufferCount = 2048;  // a power of two (buffer ring entries)
constexpr unsigned kBufferSize = 8192;
constexpr size_t kBufferRingBytes = kBufferCount * sizeof(io_uring_buf);
constexpr unsigned short kBufferGroup = 0;
constexpr long kTurnNanoseconds = 100'000'000;  // the longest wait before the stop flag is looked at

// user_data: bits 0-7 the operation, 8-31 the connection's slot, 32-63 the slot's generation
// (bumped when the slot is freed, so a completion never reaches the slot's next connection).
enum class Op : uint8_t { Accept = 1, Recv, Send, Cancel };
uint64_t tag(Op op, uint32_t slot = 0, uint32_t generation = 0) {
  return uint64_t{generation} << 32 | uint64_t{slot} << 8 | static_cast<uint64_t>(op);
}

struct Conn {
  int fd = -1;
  uint32_t generation = 0;
  bool receiving = false;     // a multishot receive is armed
  bool sending = false;       // a send of `out` (from `out_sent` on) is in flight
  bool read_done = false;     // the peer closed or the receive failed
  bool write_failed = false;  // a send failed: nothing more is sent
  bool cancelled = false;     // the receive was asked to stop
  std::string out;            // the bytes of the send in flight
  size_t out_sent = 0;
  std::string pending;  // bytes to send once the send in flight is done
  std::string partial;  // --framed: the start of a frame not complete yet
};

// Whether the kernel is Linux 6.0 or later: multishot receive came in 6.0, and an older kernel
// fails each one with -EINVAL. A release that does not start with a number counts as new enough.
bool kernel_has_multishot_receive() {
  utsname u{};
  int major = 0;
  if (uname(&u) != 0 || std::sscanf(u.release, "%d", &major) != 1) return true;
  return major >= 6;
}

// One thread's ring, listener and connections. setup() and run() are called on that thread:
// with IORING_SETUP_SINGLE_ISSUER only the ring's creator may submit to it.
class Worker {
 public:
  Worker(int listener, bool framed) : listener_(listener), framed_(framed) {}
  Worker(const Worker &) = delete;
  Worker &operator=(const Worker &) = delete;

  // Creates the ring and its buffers; returns what failed, or "" when ready.
  std::string setup() {
    // SINGLE_ISSUER 6.0, DEFER_TASKRUN 6.1 (completions are processed only when this thread
    // waits); on 6.0, COOP_TASKRUN (5.19) instead. CQSIZE 5.5.
    const unsigned flag_sets[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                  IORING_SETUP_COOP_TASKRUN};
    int rc = -EINVAL;
    for (unsigned flags : flag_sets) {
      io_uring_params params{};
      params.flags = flags | IORING_SETUP_CQSIZE;
      params.cq_entries = kCqEntries;
      rc = io_uring_queue_init_params(kSqEntries, &ring_, &params);
      if (rc != -EINVAL) break;
    }
    if (rc == -ENOSYS || rc == -EPERM) return std::string("io_uring unavailable: ") + std::strerror(-rc);
    if (rc < 0) return std::string("io_uring_queue_init_params: ") + std::strerror(-rc);
    have_ring_ = true;
    // The provided-buffer ring (5.19): the kernel picks a buffer for each receive completion;
    // a buffer goes back to the ring once its bytes are copied out.
    void *mem = mmap(nullptr, kBufferRingBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return std::string("mmap: ") + std::strerror(errno);
    buf_ring_ = static_cast<io_uring_buf_ring *>(mem);
    io_uring_buf_ring_init(buf_ring_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(buf_ring_);
    reg.ring_entries = kBufferCount;
    reg.bgid = kBufferGroup;
    rc = io_uring_register_buf_ring(&ring_, &reg, 0);
    if (rc < 0) return std::string("io_uring_register_buf_ring: ") + std::strerror(-rc);
    buffers_ = std::make_unique_for_overwrite<char[]>(size_t{kBufferCount} * kBufferSize);
    for (unsigned bid = 0; bid < kBufferCount; ++bid) recycle(bid);
    io_uring_buf_ring_advance(buf_ring_, static_cast<int>(returned_));
    returned_ = 0;
    return "";
  }

  // Turns the ring until the stop flag is set.
  void run() {
    arm_accept();
    __kernel_timespec wait{0, kTurnNanoseconds};
    while (!bench::g_stop.load(std::memory_order_relaxed)) {
      io_uring_cqe *cqe = nullptr;
      // One io_uring_enter per turn: submits, then waits for a completion or the timeout
      // (-ETIME; EXT_ARG, 5.11) or a signal (-EINTR).
      io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &wait, nullptr);
      unsigned head, seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        handle(*cqe);
        ++seen;
      }
      io_uring_cq_advance(&ring_, seen);
      io_uring_buf_ring_advance(buf_ring_, static_cast<int>(returned_));
      returned_ = 0;
    }
  }

  // Closes every connection and the ring (which cancels what is still in flight).
  void teardown() {
    for (Conn &c : conns_) {
      if (c.fd >= 0) close(c.fd);
    }
    if (have_ring_) io_uring_queue_exit(&ring_);
    if (buf_ring_ != nullptr) munmap(buf_ring_, kBufferRingBytes);
  }

  uint64_t accepted = 0, bytes = 0, datagrams = 0;

 private:
  // The next free SQE; when the submission queue is full, what is in it is submitted first.
  io_uring_sqe *sqe() {
    io_uring_sqe *s = io_uring_get_sqe(&ring_);
    if (s == nullptr) {
      io_uring_submit(&ring_);
      s = io_uring_get_sqe(&ring_);
    }
    return s;
  }

  // Multishot accept (5.19): one SQE, a completion per connection while IORING_CQE_F_MORE is set.
  void arm_accept() {
    io_uring_sqe *s = sqe();
    io_uring_prep_multishot_accept(s, listener_, nullptr, nullptr, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, tag(Op::Accept));
  }

  // Multishot receive (6.0) into a buffer of the group, a completion per chunk read.
  void arm_recv(uint32_t slot) {
    Conn &c = conns_[slot];
    io_uring_sqe *s = sqe();
    io_uring_prep_recv_multishot(s, c.fd, nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = kBufferGroup;
    io_uring_sqe_set_data64(s, tag(Op::Recv, slot, c.generation));
    c.receiving = true;
  }

  void submit_send(uint32_t slot) {
    Conn &c = conns_[slot];
    io_uring_sqe *s = sqe();
    io_uring_prep_send(s, c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, tag(Op::Send, slot, c.generation));
    c.sending = true;
  }

  // Sends what is pending, if anything, when no send is in flight.
  void start_send(uint32_t slot) {
    Conn &c = conns_[slot];
    if (c.sending || c.write_failed || c.pending.empty()) return;
    c.out.swap(c.pending);
    c.pending.clear();
    c.out_sent = 0;
    submit_send(slot);
  }

  // Asks the kernel to end the connection's receive (5.5); its last completion follows. The
  // cancel's own completion is skipped when it succeeds (IOSQE_CQE_SKIP_SUCCESS, 5.17).
  void cancel_recv(uint32_t slot) {
    Conn &c = conns_[slot];
    if (!c.receiving || c.cancelled) return;
    io_uring_sqe *s = sqe();
    io_uring_prep_cancel64(s, tag(Op::Recv, slot, c.generation), 0);
    s->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(s, tag(Op::Cancel, slot, c.generation));
    c.cancelled = true;
  }

  void recycle(unsigned bid) {
    io_uring_buf_ring_add(buf_ring_, buffers_.get() + size_t{bid} * kBufferSize, kBufferSize,
                          static_cast<unsigned short>(bid), io_uring_buf_ring_mask(kBufferCount),
                          static_cast<int>(returned_++));
  }

  void handle(const io_uring_cqe &cqe) {
    const auto op = static_cast<Op>(cqe.user_data & 0xff);
    const auto slot = static_cast<uint32_t>(cqe.user_data >> 8 & 0xffffff);
    const auto generation = static_cast<uint32_t>(cqe.user_data >> 32);
    if (op == Op::Accept) return on_accept(cqe);
    const bool current = slot < conns_.size() && conns_[slot].fd >= 0 && conns_[slot].generation == generation;
    if (current && op == Op::Recv) return on_recv(slot, cqe);
    if (current && op == Op::Send) return on_send(slot, cqe.res);
    if (cqe.flags & IORING_CQE_F_BUFFER) recycle(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  }

  void on_accept(const io_uring_cqe &cqe) {
    if (!(cqe.flags & IORING_CQE_F_MORE)) arm_accept();
    if (cqe.res < 0) return;
    const int one = 1;
    setsockopt(cqe.res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<uint32_t>(conns_.size());
      conns_.emplace_back();
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    conns_[slot].fd = cqe.res;
    ++accepted;
    arm_recv(slot);
  }

  void on_recv(uint32_t slot, const io_uring_cqe &cqe) {
    Conn &c = conns_[slot];
    if (!(cqe.flags & IORING_CQE_F_MORE)) c.receiving = false;
    if (cqe.res > 0) {
      const unsigned bid = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
      const char *data = buffers_.get() + size_t{bid} * kBufferSize;
      const auto n = static_cast<size_t>(cqe.res);
      bytes += n;
      if (framed_) datagrams += bench::echo_frames(c.partial, c.pending, data, n, datagram_);
      else c.pending.append(data, n);
      recycle(bid);
      start_send(slot);
    } else if (cqe.res != -ENOBUFS) {  // ENOBUFS: every buffer was taken; receive again
      c.read_done = true;              // 0: the peer closed; else an error or the cancel
    }
    if (!c.receiving && !c.read_done && !c.write_failed) arm_recv(slot);
    close_if_done(slot);
  }

  void on_send(uint32_t slot, int res) {
    Conn &c = conns_[slot];
    c.sending = false;
    if (res <= 0) {
      c.write_failed = true;
      c.pending.clear();
      cancel_recv(slot);
    } else {
      c.out_sent += static_cast<size_t>(res);
      if (c.out_sent < c.out.size()) submit_send(slot);  // a short send: the rest
      else start_send(slot);
    }
    close_if_done(slot);
  }

  // Closes the connection once it is finished (the peer closed and its output is sent, or a
  // send failed) and no operation on it is in flight; the slot's generation moves on.
  void close_if_done(uint32_t slot) {
    Conn &c = conns_[slot];
    const bool finished = c.write_failed || (c.read_done && c.pending.empty());
    if (!finished || c.receiving || c.sending) return;
    close(c.fd);
    const uint32_t generation = c.generation + 1;
    c = Conn{};
    c.generation = generation;
    free_.push_back(slot);
  }

  int listener_;
  bool framed_;
  io_uring ring_{};
  bool have_ring_ = false;
  io_uring_buf_ring *buf_ring_ = nullptr;
  std::unique_ptr<char[]> buffers_;
  unsigned returned_ = 0;       // buffers given back this turn, made visible at its end
  std::deque<Conn> conns_;      // by slot; a deque so a connection never moves
  std::vector<uint32_t> free_;  // slots of closed connections
  std::vector<char> datagram_;  // --framed: the datagram being copied out
};

}  // namespace

int main(int argc, char **argv) {
  bench::Args args(argc, argv, "baseline-uring-echo", kUsage);
  bench::ServerOptions o = bench::parse_server_options(args, true);
  bench::prepare_server_process();
  const std::vector<int> listeners = bench::open_listeners("baseline-uring-echo", o.host, o.port, o.threads, 0);
  if (!kernel_has_multishot_receive()) {
    std::fprintf(stderr, "baseline-uring-echo: io_uring unavailable: multishot receive needs Linux 6.0\n");
    return 1;
  }
  std::deque<Worker> workers;
  for (int fd : listeners) workers.emplace_back(fd, o.framed);
  std::vector<std::string> errors(workers.size());
  std::latch ready(static_cast<std::ptrdiff_t>(workers.size()));
  std::vector<std::thread> threads_running;
  for (size_t i = 0; i < workers.size(); ++i) {
    threads_running.emplace_back([&, i] {
      errors[i] = workers[i].setup();
      ready.count_down();
      if (errors[i].empty()) workers[i].run();
      workers[i].teardown();
    });
  }
  ready.wait();
  const auto failed = std::find_if(errors.begin(), errors.end(), [](const std::string &e) { return !e.empty(); });
  const std::string error = failed == errors.end() ? "" : *failed;
  if (error.empty()) {
    std::printf("listening on %s:%d backend=baseline-uring threads=%d\n", o.host.c_str(), o.port, o.threads);
    std::fflush(stdout);
    bench::wait_for_stop(o.duration);
  }
  bench::g_stop.store(true);
  for (auto &t : threads_running) t.join();
  for (int fd : listeners) close(fd);
  if (!error.empty()) {
    std::fprintf(stderr, "baseline-uring-echo: %s\n", error.c_str());
    return 1;
  }
  uint64_t accepted = 0, bytes = 0, datagrams = 0;
  for (const Worker &w : workers) {
    accepted += w.accepted;
    bytes += w.bytes;
    datagrams += w.datagrams;
  }
  std::printf("summary: connections=%llu bytes=%llu", static_cast<unsigned long long>(accepted),
              static_cast<unsigned long long>(bytes));
  if (o.framed) std::printf(" datagrams=%llu", static_cast<unsigned long long>(datagrams));
  std::printf("\n");
  return 0;
}
