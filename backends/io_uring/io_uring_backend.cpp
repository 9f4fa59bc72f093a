// Internal. io_uring backend (liburing). Per loop: one ring, one provided-buffer ring for
// receives, one eventfd for wake-ups. Kernel versions each feature needs are noted where used;
// the factory refuses kernels older than 6.0 and the manager falls back to epoll.
//
// - Ring setup: a worker's ring is created on the worker's own thread with SINGLE_ISSUER |
//   DEFER_TASKRUN (6.1): completion work runs only when the worker asks for events, in its own
//   context, with no interrupts. A polled ring may be turned by any application thread, so it
//   uses COOP_TASKRUN | TASKRUN_FLAG (5.19): the kernel flags pending completion work in the SQ
//   ring and a non-blocking check enters the kernel only when that flag (or an SQE) is there.
//   Each mode falls back to plainer setups on older kernels.
// - Streams: multishot receive (6.0) selecting buffers from the provided-buffer ring (5.19),
//   so an idle connection holds no receive buffer. A multishot that ends (no CQE_F_MORE:
//   ENOBUFS when buffers ran out, or the kernel's own limit) is re-armed and counted.
//   set_reading(false) cancels it by user_data (ASYNC_CANCEL with CANCEL_ALL, 5.19).
// - Hang-ups: each stream also has a one-shot poll for POLLRDHUP (with ERR and HUP). The
//   kernel's multishot receive can miss a reset that lands while it reads the last bytes
//   before it (seen on 6.18 about once in 800 resets mid-frame: the receive stays armed on a
//   closed socket, and the connection would never be reported). When the poll fires and the
//   receive is still armed, the receive is cancelled and re-armed: a fresh receive reads what
//   is left, then the end or the error.
// - Listeners: multishot accept (5.19). Out of descriptors, it ends with -EMFILE: reported to
//   the loop, which backs off and re-enables it; the pending connections stay queued.
// - UDP: multishot poll (5.13) for readability, then recvfrom() like the readiness backends,
//   at most kReadsPerTurn per socket per turn, so the sender's address comes with each packet.
// - Sends: IORING_OP_SEND (5.6); SQEs accumulate during a loop turn and reach the kernel in
//   the one io_uring_enter of the next wait(), or at submit(). (A polled ring sending with
//   send(2) at once was tried: 3% less CPU per message at 1,000 connections × 16 in flight,
//   but 45% more at 5,000 × 1, where every send's return to user space ran the receives'
//   pending completion work in small pieces; the one-connection ping-pong did not change.)
// - Registered files (sparse table, 5.19; at most RLIMIT_NOFILE slots): each socket is
//   registered in the slot its channel id names, so requests on it skip the per-request file
//   lookup (fget). A channel whose slot is past the table, or a kernel that refuses the
//   table, uses the plain descriptor. A worker's ring also registers its own descriptor (5.18).
// - Wake-ups: multishot poll on an eventfd that wake() writes.
// - The CQ is 4× the SQ; with IORING_FEAT_NODROP (5.5) the kernel keeps overflowed completions,
//   and overflow is detected and logged once.
// SQPOLL is not used: it costs a kernel thread per ring spinning on a 2-core machine.
#include <liburing.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "backends/backend.h"
#include "backends/readiness_io.h"
#include "backends/slot_table.h"
#include "backends/wake_event.h"
#include "log.h"

namespace queuednet::detail {
namespace {

constexpr unsigned kQueueDepth = 4096;  // also the most completions handled in one wait
constexpr unsigned kBufferCount = 1024;  // power of two
constexpr unsigned kBufferSize = 16384;
constexpr unsigned short kBufferGroup = 1;
constexpr int kSubmitRounds = 8;
constexpr int kQuiesceRounds = 4096;  // each runs up to the kernel's batch of deferred work
constexpr unsigned kMaxFixedFiles = 65536;  // registered-file slots (the kernel caps them at RLIMIT_NOFILE)

enum Op : uint64_t { kRecv = 1, kAccept = 2, kSend = 3, kPollIn = 4, kPollOut = 5, kWake = 6, kCancel = 7, kHangUp = 8 };
constexpr uint64_t tag(uint64_t id, Op op) { return (id << 4) | op; }

bool transient_accept_error(int err) {
  return err == ECONNABORTED || err == EINTR || err == EPROTO || err == EAGAIN || err == ECANCELED;
}

class IoUringBackend final : public Backend {
 public:
  IoUringBackend() = default;
  IoUringBackend(const IoUringBackend &) = delete;
  IoUringBackend &operator=(const IoUringBackend &) = delete;

  ~IoUringBackend() override {
    if (ring_ready_) io_uring_queue_exit(&ring_);  // cancels what is in flight
    if (buf_ring_ != nullptr) ::munmap(buf_ring_, ring_bytes());
    if (rearms_ > 0 || renewals_ > 0) {
      log(LogLevel::info, "io_uring backend: " + std::to_string(rearms_) + " multishot re-arms, " +
                              std::to_string(enobufs_) + " of them after ENOBUFS; " + std::to_string(renewals_) +
                              " receives renewed after a hang-up");
    }
  }

  bool init(const BackendOptions &options, std::string *error) {
    if (!probe_kernel(error)) return false;
    // Setups to try, best first.
    std::vector<unsigned> setups;
    if (options.single_thread) {
      setups = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
                IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};
    }
    setups.push_back(IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
    setups.push_back(0);
    int rc = -EINVAL;
    for (unsigned flags : setups) {
      io_uring_params params{};
      params.flags = flags | IORING_SETUP_CQSIZE;
      params.cq_entries = kQueueDepth * 4;
      rc = io_uring_queue_init_params(kQueueDepth, &ring_, &params);
      if (rc == -EINVAL) continue;
      if (rc < 0) break;
      ring_ready_ = true;
      defer_ = (flags & IORING_SETUP_DEFER_TASKRUN) != 0;
      taskrun_flag_ = (flags & IORING_SETUP_TASKRUN_FLAG) != 0;
      if (!(params.features & IORING_FEAT_NODROP)) {
        *error = "kernel lacks IORING_FEAT_NODROP (needs 5.5)";
        return false;
      }
      break;
    }
    if (!ring_ready_) {
      *error = std::string("io_uring_queue_init: ") + std::strerror(-rc);
      return false;
    }
    if (!probe_opcodes(error) || !setup_buffers(error)) return false;
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    fixed_slots_ = static_cast<unsigned>(std::min<rlim_t>(files.rlim_cur, kMaxFixedFiles));
    if (io_uring_register_files_sparse(&ring_, fixed_slots_) != 0) fixed_slots_ = 0;
    // A worker's ring is entered by its thread alone: register the ring's own descriptor too,
    // so io_uring_enter skips looking it up (5.18). Registration is per thread, so a polled
    // ring, which any application thread may turn, keeps the plain descriptor.
    if (options.single_thread) io_uring_register_ring_fd(&ring_);
    if (!wake_.open(error)) return false;
    arm_wake();
    return true;
  }

  BackendKind kind() const override { return BackendKind::io_uring; }

  void add(uint64_t id, int fd, ChannelKind kind) override {
    Entry &e = entries_.insert(id);
    e.fd = fd;
    e.kind = kind;
    const unsigned slot = slot_of(id);
    if (slot < fixed_slots_ && io_uring_register_files_update(&ring_, slot, &fd, 1) == 1) {
      e.target = static_cast<int>(slot);
      e.fixed = true;
    } else {
      e.target = fd;
    }
    if (kind == ChannelKind::stream) {
      io_uring_sqe *sqe = get_sqe();
      io_uring_prep_poll_add(sqe, e.target, POLLRDHUP);
      if (e.fixed) sqe->flags |= IOSQE_FIXED_FILE;
      io_uring_sqe_set_data64(sqe, tag(id, kHangUp));
    }
  }

  void set_reading(uint64_t id, bool on) override {
    Entry *e = entries_.find(id);
    if (e == nullptr) return;
    e->wanted = on;
    if (on && !e->armed) {
      arm(id, *e);
    } else if (!on && e->armed && !e->cancelling) {
      cancel_read(id, *e);
    }
    // On, while a cancelled request is still live: its final completion re-arms it.
    if (on && e->kind == ChannelKind::datagram) ready_.push_back(id);  // packets may be waiting
  }

  ssize_t send(uint64_t id, int fd, const unsigned char *data, size_t size) override {
    const Entry *e = entries_.find(id);
    io_uring_sqe *sqe = get_sqe();
    io_uring_prep_send(sqe, e != nullptr ? e->target : fd, data, size, MSG_NOSIGNAL);
    if (e != nullptr && e->fixed) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, tag(id, kSend));
    return kSendPending;
  }

  void want_writable(uint64_t id, bool on) override {
    Entry *e = entries_.find(id);
    if (!on || e == nullptr) return;  // a one-shot poll: it fires once
    io_uring_sqe *sqe = get_sqe();
    io_uring_prep_poll_add(sqe, e->target, POLLOUT);
    if (e->fixed) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, tag(id, kPollOut));
  }

  void remove(uint64_t id, int) override {
    Entry *e = entries_.find(id);
    if (e == nullptr) return;
    // Every request still in flight on the socket (a read, a send, a poll) holds it open
    // after close(): a send to a peer that never reads would keep it open for good.
    // Cancelled, the peer sees the close now. By user_data, which carries the channel's
    // generation: a cancel by descriptor would search every poll on the ring, and one that
    // ran late would hit the next socket given the same number.
    if (e->armed && !e->cancelling) cancel_read(id, *e);
    for (Op op : {kSend, kPollOut, kHangUp}) cancel(tag(id, op));
    const bool fixed = e->fixed;
    entries_.erase(id);
    // SQEs prepared this turn name the descriptor (or its slot) by number; the loop closes it
    // right after this returns and a new socket may get the same number, so they must reach
    // the kernel now.
    if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);
    if (fixed) {  // the table holds its own reference to the socket: drop it
      int none = -1;
      io_uring_register_files_update(&ring_, slot_of(id), &none, 1);
    }
  }

  void wait(int timeout_ms, BackendEvents &events) override {
    // Work already in hand (UDP sockets still readable, completions submit() held back) is
    // handled now: sleeping first would leave it, a peer's reset say, until other traffic came.
    if (!ready_.empty() || !later_.empty()) timeout_ms = 0;
    if (timeout_ms == 0) {
      if (io_uring_sq_ready(&ring_) > 0 || completion_work_pending()) io_uring_submit_and_get_events(&ring_);
    } else if (timeout_ms < 0) {
      io_uring_submit_and_wait(&ring_, 1);
    } else {
      io_uring_cqe *cqe = nullptr;
      __kernel_timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000LL};
      io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    check_overflow();
    if (!later_.empty()) {
      std::vector<io_uring_cqe> held;
      held.swap(later_);
      for (const io_uring_cqe &c : held) dispatch(c, events);
    }
    io_uring_cqe *batch[256];
    unsigned n, handled = 0;
    while (handled < kQueueDepth && (n = io_uring_peek_batch_cqe(&ring_, batch, 256)) > 0) {
      for (unsigned i = 0; i < n; ++i) {
        const io_uring_cqe c = *batch[i];  // copy: handlers may queue more work
        io_uring_cqe_seen(&ring_, batch[i]);
        dispatch(c, events);
      }
      handled += n;
      // When the next peek must ask the kernel (an overflowed queue, task work pending), what
      // the handlers queued (a paused reader's cancel above all) goes first: fetching
      // completions runs the multishot reads again, and a flood would keep a cancelled read
      // going until its socket was empty.
      if (io_uring_sq_ready(&ring_) > 0 &&
          (IO_URING_READ_ONCE(*ring_.sq.kflags) & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN))) {
        io_uring_submit(&ring_);
      }
    }
    renew_hung_up();
    again_.swap(ready_);
    for (uint64_t id : again_) read_datagrams(id, events);
    again_.clear();
  }

  void submit(BackendEvents &events) override {
    // A send usually completes while it is submitted; reporting it lets the loop send what
    // was queued behind it, which needs another round.
    for (int round = 0; round < kSubmitRounds && io_uring_sq_ready(&ring_) > 0; ++round) {
      io_uring_submit_and_get_events(&ring_);
      io_uring_cqe *cqe;
      while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
        const io_uring_cqe c = *cqe;
        io_uring_cqe_seen(&ring_, cqe);
        if ((c.user_data & 0xf) == kSend) {
          dispatch(c, events);
        } else {
          later_.push_back(c);  // reads and accepts wait for the next turn, in order
        }
      }
    }
  }

  void quiesce(BackendEvents &events) override {
    // Worker rings (DEFER_TASKRUN): a cancelled request completes, and lets go of its socket,
    // only in this thread's task work, which runs when it asks for events; if the worker
    // ended without asking, the peer would never see the close. The kernel runs a bounded
    // amount of that work per call, so ask until nothing is left (or nothing more completes,
    // when the ring cannot tell). A polled ring's work runs on the threads that polled it.
    if (!defer_) return;
    for (int round = 0; round < kQuiesceRounds && (io_uring_sq_ready(&ring_) > 0 || completion_work_pending());
         ++round) {
      const unsigned before = IO_URING_READ_ONCE(*ring_.cq.ktail);
      wait(0, events);
      if (!taskrun_flag_ && IO_URING_READ_ONCE(*ring_.cq.ktail) == before) return;
    }
  }

  void wake() override { wake_.signal(); }
  int pollable_fd() const override { return ring_.ring_fd; }
  bool has_buffered_work() const override {
    return !ready_.empty() || !later_.empty() || io_uring_sq_ready(&ring_) > 0 || completion_work_pending();
  }

 private:
  struct Entry {
    uint64_t id = 0;
    int fd = -1;
    ChannelKind kind = ChannelKind::stream;
    int target = -1;          // what SQEs name: the registered slot, or fd
    bool fixed = false;       // target is a registered slot (IOSQE_FIXED_FILE)
    bool wanted = false;      // reading/accepting requested
    bool armed = false;       // a multishot request is live in the kernel
    bool cancelling = false;  // ...and a cancel for it was submitted
  };

  static Op read_op(ChannelKind k) {
    return k == ChannelKind::listener ? kAccept : k == ChannelKind::stream ? kRecv : kPollIn;
  }

  // Whether completions may be waiting for the kernel to post them.
  bool completion_work_pending() const {
    if (taskrun_flag_) return (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN) != 0;
    return defer_;  // deferred work without the flag: only entering the kernel tells
  }

  static bool probe_kernel(std::string *error) {
    utsname u{};
    int major = 0, minor = 0;
    if (::uname(&u) == 0) std::sscanf(u.release, "%d.%d", &major, &minor);
    if (major < 6) {  // multishot receive needs 6.0
      *error = std::string("kernel ") + u.release + " lacks multishot receive (needs 6.0)";
      return false;
    }
    return true;
  }

  bool probe_opcodes(std::string *error) {
    io_uring_probe *p = io_uring_get_probe_ring(&ring_);
    if (p == nullptr) {
      *error = "io_uring probe failed";
      return false;
    }
    bool ok = true;
    for (int op : {IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_POLL_ADD, IORING_OP_ASYNC_CANCEL}) {
      ok = ok && io_uring_opcode_supported(p, op);
    }
    io_uring_free_probe(p);
    if (!ok) *error = "io_uring lacks accept/recv/send/poll/cancel opcodes";
    return ok;
  }

  size_t ring_bytes() const { return kBufferCount * sizeof(io_uring_buf) + kBufferCount * size_t{kBufferSize}; }

  bool setup_buffers(std::string *error) {
    // One mapping: the ring entries first (page aligned), then the buffers.
    void *mem = ::mmap(nullptr, ring_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      *error = std::string("mmap: ") + std::strerror(errno);
      return false;
    }
    buf_ring_ = static_cast<io_uring_buf_ring *>(mem);
    buffers_ = static_cast<unsigned char *>(mem) + kBufferCount * sizeof(io_uring_buf);
    io_uring_buf_ring_init(buf_ring_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(buf_ring_);
    reg.ring_entries = kBufferCount;
    reg.bgid = kBufferGroup;
    const int rc = io_uring_register_buf_ring(&ring_, &reg, 0);  // 5.19
    if (rc < 0) {
      *error = std::string("io_uring_register_buf_ring: ") + std::strerror(-rc);
      return false;
    }
    for (unsigned i = 0; i < kBufferCount; ++i) {
      io_uring_buf_ring_add(buf_ring_, buffers_ + size_t{i} * kBufferSize, kBufferSize, static_cast<unsigned short>(i),
                            io_uring_buf_ring_mask(kBufferCount), static_cast<int>(i));
    }
    io_uring_buf_ring_advance(buf_ring_, kBufferCount);
    return true;
  }

  void recycle(unsigned bid) {
    io_uring_buf_ring_add(buf_ring_, buffers_ + size_t{bid} * kBufferSize, kBufferSize, static_cast<unsigned short>(bid),
                          io_uring_buf_ring_mask(kBufferCount), 0);
    io_uring_buf_ring_advance(buf_ring_, 1);
  }

  io_uring_sqe *get_sqe() {
    io_uring_sqe *sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {  // SQ full: hand the batch to the kernel and take a fresh slot
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  void arm_wake() {
    io_uring_sqe *sqe = get_sqe();
    io_uring_prep_poll_multishot(sqe, wake_.fd(), POLLIN);  // 5.13
    io_uring_sqe_set_data64(sqe, tag(0, kWake));
  }

  void arm(uint64_t id, Entry &e) {
    io_uring_sqe *sqe = get_sqe();
    switch (e.kind) {
      case ChannelKind::listener:
        io_uring_prep_multishot_accept(sqe, e.target, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        break;
      case ChannelKind::stream:
        io_uring_prep_recv_multishot(sqe, e.target, nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = kBufferGroup;
        break;
      case ChannelKind::datagram:
        io_uring_prep_poll_multishot(sqe, e.target, POLLIN);
        break;
    }
    if (e.fixed) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, tag(id, read_op(e.kind)));
    e.armed = true;
  }

  void cancel_read(uint64_t id, Entry &e) {
    cancel(tag(id, read_op(e.kind)));
    e.cancelling = true;  // `armed` stays until the request's final completion
  }

  // Cancels the requests tagged `target` still in flight (every one: ASYNC_CANCEL_ALL, 5.19).
  void cancel(uint64_t target) {
    io_uring_sqe *sqe = get_sqe();
    io_uring_prep_cancel64(sqe, target, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, tag(0, kCancel));
  }

  // A multishot request posted its final completion: re-arm it if reading is still wanted
  // (ENOBUFS, the kernel's own limit, or a cancel followed by set_reading(true)).
  void finished(uint64_t id, int res = 0) {
    Entry *e = entries_.find(id);
    if (e == nullptr) return;
    const bool cancelled = e->cancelling;
    e->armed = e->cancelling = false;
    if (!e->wanted) return;
    if (!cancelled) {
      ++rearms_;
      if (res == -ENOBUFS) ++enobufs_;
    }
    arm(id, *e);
  }

  // The peer closed or reset these streams. A receive still armed may have missed it: renew
  // it (its final completion re-arms it, as reading is still wanted).
  void renew_hung_up() {
    for (uint64_t id : hung_up_) {
      if (Entry *e = entries_.find(id); e != nullptr && e->armed && !e->cancelling) {
        cancel_read(id, *e);
        ++renewals_;
      }
    }
    hung_up_.clear();
  }

  void check_overflow() {
    if (!overflow_logged_ && (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_CQ_OVERFLOW)) {
      overflow_logged_ = true;
      log(LogLevel::warning, "io_uring completion queue overflowed; the kernel keeps the excess (NODROP)");
    }
  }

  // Reads a ready UDP socket, at most kReadsPerTurn packets; the rest in the next turn.
  void read_datagrams(uint64_t id, BackendEvents &events) {
    const Entry *e = entries_.find(id);
    if (e == nullptr || !e->wanted) return;
    if (io_.receive(id, e->fd, ChannelKind::datagram, false, events) == Drain::more) ready_.push_back(id);
  }

  void dispatch(const io_uring_cqe &c, BackendEvents &events) {
    const uint64_t id = c.user_data >> 4;
    const Op op = static_cast<Op>(c.user_data & 0xf);
    const bool last = (c.flags & IORING_CQE_F_MORE) == 0;  // the request's final completion
    switch (op) {
      case kRecv: {
        // Bytes were taken from the socket even when reading was just cancelled: deliver them
        // (the loop parks what it cannot use yet). Only a removed channel's bytes are dropped.
        if (c.flags & IORING_CQE_F_BUFFER) {
          const unsigned bid = c.flags >> IORING_CQE_BUFFER_SHIFT;
          if (c.res > 0 && entries_.find(id) != nullptr) {
            events.on_data(id, buffers_ + size_t{bid} * kBufferSize, static_cast<size_t>(c.res), nullptr, 0);
          }
          recycle(bid);
        }
        if (c.res == 0 || (c.res < 0 && c.res != -ENOBUFS && c.res != -ECANCELED)) {
          if (Entry *e = entries_.find(id)) {
            e->wanted = false;  // the stream's read side is over
            if (last) finished(id);
            events.on_read_closed(id, c.res == 0 ? 0 : -c.res);
          }
        } else if (last) {
          finished(id, c.res);
        }
        return;
      }
      case kAccept: {
        if (c.res >= 0) {
          if (entries_.find(id) != nullptr) {
            events.on_accept(id, c.res);  // the loop owns the descriptor from here
          } else {
            ::close(c.res);
          }
        } else if (Entry *e = entries_.find(id); e != nullptr && !transient_accept_error(-c.res)) {
          if (last) e->armed = e->cancelling = false;
          if (is_resource_exhaustion(-c.res)) {
            events.on_accept_refused(id, -c.res);  // the loop turns accepting off, and on later
          } else {
            e->wanted = false;
            events.on_read_closed(id, -c.res);
          }
          return;
        }
        if (last) finished(id, c.res);
        return;
      }
      case kPollIn:
        if (c.res > 0) read_datagrams(id, events);
        if (last) finished(id, c.res);
        return;
      case kSend:
        events.on_send_complete(id, c.res);
        return;
      case kPollOut:
        if (entries_.find(id) != nullptr) events.on_writable(id);
        return;
      case kHangUp:
        if (c.res > 0) hung_up_.push_back(id);  // after this batch: its receive may end in it
        return;
      case kWake:
        wake_.clear();
        if (last) arm_wake();
        return;
      case kCancel:
        return;
    }
  }

  io_uring ring_{};
  bool ring_ready_ = false;
  bool defer_ = false;
  bool taskrun_flag_ = false;
  unsigned fixed_slots_ = 0;  // size of the registered-file table (0: none)
  io_uring_buf_ring *buf_ring_ = nullptr;
  unsigned char *buffers_ = nullptr;
  WakeEvent wake_;
  SlotTable<Entry> entries_;
  std::vector<uint64_t> ready_;
  std::vector<uint64_t> again_;
  std::vector<io_uring_cqe> later_;  // completions submit() left for wait()
  std::vector<uint64_t> hung_up_;    // streams whose hang-up poll fired in this wait()
  ReadinessIo io_;
  uint64_t rearms_ = 0, enobufs_ = 0;
  uint64_t renewals_ = 0;  // receives renewed after a hang-up (see the header)
  bool overflow_logged_ = false;
};

}  // namespace

std::unique_ptr<Backend> make_io_uring_backend(const BackendOptions &options, std::string *error) {
  auto backend = std::make_unique<IoUringBackend>();
  if (!backend->init(options, error)) return nullptr;
  return backend;
}

}  // namespace queuednet::detail
