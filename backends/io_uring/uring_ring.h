// Internal. UringRing: one io_uring set up as the io_uring backend uses it, and the calls on
// it that know the ring's flags. Kernel versions each feature needs are noted where used.
//
// - Setup: a worker's ring (single_thread) is created on the worker's own thread with
//   SINGLE_ISSUER | DEFER_TASKRUN (6.1): completion work runs only when the worker asks for
//   events, in its own context, with no interrupts. A polled ring may be turned by any
//   application thread, so it uses COOP_TASKRUN | TASKRUN_FLAG (5.19): the kernel flags pending
//   completion work in the SQ ring and a non-blocking check enters the kernel only when that
//   flag (or an SQE) is there. Each mode falls back to plainer setups on older kernels; a
//   kernel older than 6.0 (no multishot receive) is refused.
// - The CQ is 4× the SQ; with IORING_FEAT_NODROP (5.5) the kernel keeps overflowed completions,
//   and overflow is detected and logged once.
// - Registered files (sparse table, 5.19; at most RLIMIT_NOFILE slots): the backend registers
//   each socket in the slot its channel id names, so requests on it skip the per-request file
//   lookup (fget). A worker's ring also registers its own descriptor (5.18).
// SQPOLL is not used: it costs a kernel thread per ring spinning on a 2-core machine.
// Thread contract: the thread that turns the backend's loop.
#pragma once

#include <liburing.h>

#include <string>

namespace queuednet::detail {

class UringRing {
 public:
  static constexpr unsigned kQueueDepth = 4096;
  // The most completions one wait hands to the loop, as epoll's is (what a turn reads, the
  // application holds until it answers it); the rest wait in the ring for the next turn.
  static constexpr unsigned kCompletionsPerWait = 256;

  UringRing() = default;
  UringRing(const UringRing &) = delete;
  UringRing &operator=(const UringRing &) = delete;
  ~UringRing();

  // Creates the ring (the best setup the kernel accepts), checks the opcodes the backend uses
  // and registers the file table. False and *error when io_uring cannot serve.
  bool init(bool single_thread, std::string *error);

  io_uring &get() { return ring_; }
  const io_uring &get() const { return ring_; }
  int fd() const { return ring_.ring_fd; }
  // Slots in the registered-file table (0: none).
  unsigned fixed_slots() const { return fixed_slots_; }
  // Completion work runs only when this thread asks for events (DEFER_TASKRUN).
  bool deferred() const { return defer_; }
  bool taskrun_flag() const { return taskrun_flag_; }

  // A free SQE; when the SQ is full, what it holds is submitted first.
  io_uring_sqe *sqe() {
    io_uring_sqe *s = io_uring_get_sqe(&ring_);
    while (s == nullptr) {
      io_uring_submit(&ring_);
      s = io_uring_get_sqe(&ring_);
    }
    return s;
  }
  unsigned sq_ready() const { return io_uring_sq_ready(&ring_); }
  // Whether completions may be waiting for the kernel to post them.
  bool completion_work_pending() const {
    if (taskrun_flag_) return (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN) != 0;
    return defer_;  // deferred work without the flag: only entering the kernel tells
  }
  // Whether fetching completions needs the kernel (an overflowed CQ, or task work pending).
  bool must_enter() const {
    return (IO_URING_READ_ONCE(*ring_.sq.kflags) & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) != 0;
  }
  // Logs once that the CQ overflowed.
  void check_overflow();

 private:
  bool create(bool single_thread, std::string *error);
  bool probe_opcodes(std::string *error);

  io_uring ring_{};
  bool ready_ = false;
  bool defer_ = false;
  bool taskrun_flag_ = false;
  unsigned fixed_slots_ = 0;
  bool overflow_logged_ = false;
};

}  // namespace queuednet::detail
