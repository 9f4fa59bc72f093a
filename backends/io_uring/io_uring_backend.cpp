// Internal. io_uring backend (liburing). Per loop: one ring, one provided-buffer ring for
// receives, one eventfd for wake-ups. Kernel versions each feature needs are noted where used;
// the factory refuses kernels older than 6.0 and the manager falls back to epoll.
//
// - Streams: multishot receive (6.0) selecting buffers from the provided-buffer ring (5.19),
//   so an idle connection holds no receive buffer. A multishot that ends (no CQE_F_MORE:
//   ENOBUFS when buffers ran out, or the kernel's own limit) is re-armed and counted.
// - Listeners: multishot accept (5.19).
// - UDP: multishot poll (5.13) for readability, then recvfrom() like the readiness backends,
//   so the sender's address comes with each packet.
// - Sends: IORING_OP_SEND (5.6); SQEs accumulate during a loop turn and go to the kernel in the
//   one io_uring_submit_and_wait_timeout of the next wait() (submit() forces it in polled mode).
// - Wake-ups: multishot poll on an eventfd that wake() writes.
// - Removal: IORING_OP_ASYNC_CANCEL keyed on the fd with CANCEL_ALL (5.19).
// - The CQ is 4× the SQ; with IORING_FEAT_NODROP (5.5) the kernel keeps overflowed completions,
//   and overflow is detected and logged once.
// SQPOLL is not used: it costs a kernel thread per ring spinning on a 2-core machine.
#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "backends/backend.h"
#include "backends/readiness_io.h"
#include "log.h"

namespace queuednet::detail {
namespace {

constexpr unsigned kQueueDepth = 4096;
constexpr unsigned kBufferCount = 1024;  // power of two
constexpr unsigned kBufferSize = 16384;
constexpr unsigned short kBufferGroup = 1;

enum Op : uint64_t { kRecv = 1, kAccept = 2, kSend = 3, kPollIn = 4, kPollOut = 5, kWake = 6, kCancel = 7 };
constexpr uint64_t tag(uint64_t id, Op op) { return (id << 4) | op; }

class IoUringBackend final : public Backend {
 public:
  IoUringBackend() = default;
  IoUringBackend(const IoUringBackend &) = delete;
  IoUringBackend &operator=(const IoUringBackend &) = delete;

  ~IoUringBackend() override {
    if (ring_ready_) io_uring_queue_exit(&ring_);  // cancels what is in flight
    if (buf_ring_ != nullptr) ::munmap(buf_ring_, ring_bytes());
    if (wakefd_ >= 0) ::close(wakefd_);
    if (rearms_ > 0) {
      log(LogLevel::info, "io_uring backend: " + std::to_string(rearms_) + " multishot re-arms, " +
                              std::to_string(enobufs_) + " of them after ENOBUFS");
    }
  }

  bool init(std::string *error) {
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN;  // COOP_TASKRUN: 5.19
    params.cq_entries = kQueueDepth * 4;
    int rc = io_uring_queue_init_params(kQueueDepth, &ring_, &params);
    if (rc == -EINVAL) {
      params = {};
      params.flags = IORING_SETUP_CQSIZE;
      params.cq_entries = kQueueDepth * 4;
      rc = io_uring_queue_init_params(kQueueDepth, &ring_, &params);
    }
    if (rc < 0) {
      *error = std::string("io_uring_queue_init: ") + std::strerror(-rc);
      return false;
    }
    ring_ready_ = true;
    if (!(params.features & IORING_FEAT_NODROP)) {
      *error = "kernel lacks IORING_FEAT_NODROP (needs 5.5)";
      return false;
    }
    if (!probe(error) || !setup_buffers(error)) return false;
    wakefd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wakefd_ < 0) {
      *error = std::string("eventfd: ") + std::strerror(errno);
      return false;
    }
    arm_wake();
    io_uring_submit(&ring_);
    return true;
  }

  BackendKind kind() const override { return BackendKind::io_uring; }

  void add(uint64_t id, int fd, ChannelKind kind) override { entries_[id] = Entry{fd, kind, false, false}; }

  void set_reading(uint64_t id, int, ChannelKind, bool on) override {
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    Entry &e = it->second;
    e.wanted = on;
    if (on && !e.armed) {
      arm(id, e);
    } else if (!on && e.armed) {
      io_uring_sqe *sqe = get_sqe();
      io_uring_prep_cancel64(sqe, tag(id, read_op(e.kind)), 0);  // ASYNC_CANCEL: 5.5
      io_uring_sqe_set_data64(sqe, tag(id, kCancel));
    }
  }

  ssize_t send(uint64_t id, int fd, const unsigned char *data, size_t size) override {
    io_uring_sqe *sqe = get_sqe();
    io_uring_prep_send(sqe, fd, data, size, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, tag(id, kSend));
    return kSendPending;
  }

  void want_writable(uint64_t id, int fd, bool on) override {
    if (!on) return;  // a one-shot poll: it fires once
    io_uring_sqe *sqe = get_sqe();
    io_uring_prep_poll_add(sqe, fd, POLLOUT);
    io_uring_sqe_set_data64(sqe, tag(id, kPollOut));
  }

  void remove(uint64_t id, int fd) override {
    entries_.erase(id);
    io_uring_sqe *sqe = get_sqe();
    io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);  // 5.19
    io_uring_sqe_set_data64(sqe, tag(0, kCancel));
    // The fd is closed right after this returns: the kernel must see the cancel first.
    io_uring_submit(&ring_);
  }

  void wait(int timeout_ms, BackendEvents &events) override {
    io_uring_cqe *cqe = nullptr;
    if (timeout_ms == 0) {
      io_uring_submit(&ring_);
    } else if (timeout_ms < 0) {
      io_uring_submit_and_wait(&ring_, 1);
    } else {
      __kernel_timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000LL};
      io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    check_overflow();
    io_uring_cqe *batch[256];
    unsigned n;
    while ((n = io_uring_peek_batch_cqe(&ring_, batch, 256)) > 0) {
      for (unsigned i = 0; i < n; ++i) {
        const io_uring_cqe c = *batch[i];  // copy: handlers may queue more work
        io_uring_cqe_seen(&ring_, batch[i]);
        dispatch(c, events);
      }
    }
  }

  void wake() override {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(wakefd_, &one, sizeof one);
  }

  void submit() override { io_uring_submit(&ring_); }

 private:
  struct Entry {
    int fd;
    ChannelKind kind;
    bool wanted;  // reading/accepting requested
    bool armed;   // a multishot request is live in the kernel
  };

  static Op read_op(ChannelKind k) {
    return k == ChannelKind::listener ? kAccept : k == ChannelKind::stream ? kRecv : kPollIn;
  }

  bool probe(std::string *error) {
    utsname u{};
    int major = 0, minor = 0;
    if (::uname(&u) == 0) std::sscanf(u.release, "%d.%d", &major, &minor);
    if (major < 6) {  // multishot receive needs 6.0
      *error = std::string("kernel ") + u.release + " lacks multishot receive (needs 6.0)";
      return false;
    }
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
    io_uring_prep_poll_multishot(sqe, wakefd_, POLLIN);  // 5.13
    io_uring_sqe_set_data64(sqe, tag(0, kWake));
  }

  void arm(uint64_t id, Entry &e) {
    io_uring_sqe *sqe = get_sqe();
    switch (e.kind) {
      case ChannelKind::listener:
        io_uring_prep_multishot_accept(sqe, e.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        break;
      case ChannelKind::stream:
        io_uring_prep_recv_multishot(sqe, e.fd, nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = kBufferGroup;
        break;
      case ChannelKind::datagram:
        io_uring_prep_poll_multishot(sqe, e.fd, POLLIN);
        break;
    }
    io_uring_sqe_set_data64(sqe, tag(id, read_op(e.kind)));
    e.armed = true;
  }

  // A multishot request ended (no CQE_F_MORE): re-arm it if it is still wanted.
  void ended(uint64_t id, int res) {
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    it->second.armed = false;
    if (!it->second.wanted) return;
    ++rearms_;
    if (res == -ENOBUFS) ++enobufs_;
    arm(id, it->second);
  }

  void check_overflow() {
    if (!overflow_logged_ && (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_CQ_OVERFLOW)) {
      overflow_logged_ = true;
      log(LogLevel::warning, "io_uring completion queue overflowed; the kernel keeps the excess (NODROP)");
    }
  }

  void dispatch(const io_uring_cqe &c, BackendEvents &events) {
    const uint64_t id = c.user_data >> 4;
    const Op op = static_cast<Op>(c.user_data & 0xf);
    const bool more = (c.flags & IORING_CQE_F_MORE) != 0;
    switch (op) {
      case kRecv: {
        const bool live = entries_.count(id) > 0;
        if (c.flags & IORING_CQE_F_BUFFER) {
          const unsigned bid = c.flags >> IORING_CQE_BUFFER_SHIFT;
          if (live && c.res > 0) events.on_data(id, buffers_ + size_t{bid} * kBufferSize, static_cast<size_t>(c.res), nullptr, 0);
          recycle(bid);
        }
        if (!live) return;
        if (c.res == 0) {
          events.on_read_closed(id, 0);
        } else if (c.res < 0 && c.res != -ENOBUFS && c.res != -ECANCELED) {
          events.on_read_closed(id, -c.res);
        } else if (!more) {
          ended(id, c.res);
        }
        return;
      }
      case kAccept:
        if (c.res >= 0) {
          if (entries_.count(id)) {
            events.on_accept(id, c.res);
          } else {
            ::close(c.res);
          }
        }
        if (!more) ended(id, c.res);
        return;
      case kPollIn: {
        auto it = entries_.find(id);
        if (it != entries_.end() && c.res > 0) {
          while (io_.receive(id, it->second.fd, ChannelKind::datagram, false, events) == Drain::more) {
            if (entries_.find(id) == entries_.end()) break;
          }
        }
        if (!more) ended(id, c.res);
        return;
      }
      case kSend:
        events.on_send_complete(id, c.res);
        return;
      case kPollOut:
        if (entries_.count(id)) events.on_writable(id);
        return;
      case kWake: {
        uint64_t v;
        while (::read(wakefd_, &v, sizeof v) > 0) {
        }
        if (!more) arm_wake();
        return;
      }
      case kCancel:
        return;
    }
  }

  io_uring ring_{};
  bool ring_ready_ = false;
  io_uring_buf_ring *buf_ring_ = nullptr;
  unsigned char *buffers_ = nullptr;
  int wakefd_ = -1;
  std::unordered_map<uint64_t, Entry> entries_;
  ReadinessIo io_;
  uint64_t rearms_ = 0, enobufs_ = 0;
  bool overflow_logged_ = false;
};

}  // namespace

std::unique_ptr<Backend> make_io_uring_backend(std::string *error) {
  auto backend = std::make_unique<IoUringBackend>();
  if (!backend->init(error)) return nullptr;
  return backend;
}

}  // namespace queuednet::detail
