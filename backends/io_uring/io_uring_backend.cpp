// Internal. io_uring backend (liburing): per loop, one ring (uring_ring.h, where its setup
// and the kernel versions it needs are described), one provided-buffer ring for receives
// (buffer_ring.h) and one eventfd for wake-ups.
//
// - Streams: multishot receive (6.0) selecting buffers from the provided-buffer ring. A
//   multishot that ends (no CQE_F_MORE) is re-armed and counted. set_reading(false) cancels it
//   by user_data (ASYNC_CANCEL with CANCEL_ALL, 5.19).
// - Hang-ups: each stream also has a one-shot poll for POLLRDHUP (with ERR and HUP): a
//   multishot receive can miss a reset that lands while it reads the bytes before it (6.18).
//   When the poll fires with the receive armed, the receive is cancelled and re-armed.
// - Listeners: multishot accept (5.19). Out of descriptors, it ends with -EMFILE: reported to
//   the loop, which backs off and re-enables it; the pending connections stay queued.
// - UDP: multishot poll (5.13), then recvfrom() like the readiness backends (at most
//   kReadsPerTurn per socket per turn), so the sender's address comes with each packet.
// - Sends: IORING_OP_SEND (5.6); SQEs accumulate during a loop turn and reach the kernel in
//   the one io_uring_enter of the next wait(), or at submit() (not send(2) at once from a
//   polled ring: each return to user space would run pending completion work in small pieces).
// - Each socket is registered in the ring's file table in its channel's slot (else the plain
//   descriptor is used). Wake-ups: multishot poll on an eventfd that wake() writes.
#include <liburing.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/io_uring/buffer_ring.h"
#include "backends/io_uring/uring_ring.h"
#include "backends/io_uring/uring_tag.h"
#include "backends/readiness_io.h"
#include "backends/slot_table.h"
#include "backends/wake_event.h"
#include "log.h"

namespace queuednet::detail {
namespace {

constexpr int kSubmitRounds = 8;
constexpr int kQuiesceRounds = 4096;  // each runs up to the kernel's batch of deferred work

bool transient_accept_error(int err) {
  return err == ECONNABORTED || err == EINTR || err == EPROTO || err == EAGAIN || err == ECANCELED;
}

class IoUringBackend final : public Backend {
 public:
  IoUringBackend() = default;
  IoUringBackend(const IoUringBackend &) = delete;
  IoUringBackend &operator=(const IoUringBackend &) = delete;

  ~IoUringBackend() override {
    if (rearms_ > 0 || renewals_ > 0) {
      log(LogLevel::info, "io_uring backend: " + std::to_string(rearms_) + " multishot re-arms, " +
                              std::to_string(enobufs_) + " of them after ENOBUFS; " + std::to_string(renewals_) +
                              " receives renewed after a hang-up");
    }
  }

  bool init(const BackendOptions &options, std::string *error) {
    if (!uring_.init(options.single_thread, error) || !buffers_.init(uring_.get(), error) || !wake_.open(error)) {
      return false;
    }
    arm_wake();
    return true;
  }

  BackendId kind() const override { return BackendId::io_uring; }

  void add(uint64_t id, int fd, ChannelKind kind) override {
    Entry &e = entries_.insert(id);
    e.fd = fd;
    e.kind = kind;
    const unsigned slot = slot_of(id);
    if (slot < uring_.fixed_slots() && io_uring_register_files_update(&uring_.get(), slot, &fd, 1) == 1) {
      e.target = static_cast<int>(slot);
      e.fixed = true;
    } else {
      e.target = fd;
    }
    if (kind == ChannelKind::stream) {
      io_uring_sqe *sqe = uring_.sqe();
      io_uring_prep_poll_add(sqe, e.target, POLLRDHUP);
      if (e.fixed) sqe->flags |= IOSQE_FIXED_FILE;
      io_uring_sqe_set_data64(sqe, uring_tag(id, kHangUp));
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
    io_uring_sqe *sqe = uring_.sqe();
    io_uring_prep_send(sqe, e != nullptr ? e->target : fd, data, size, MSG_NOSIGNAL);
    if (e != nullptr && e->fixed) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, uring_tag(id, kSend));
    return kSendPending;
  }

  void want_writable(uint64_t id, bool on) override {
    Entry *e = entries_.find(id);
    if (!on || e == nullptr) return;  // a one-shot poll: it fires once
    io_uring_sqe *sqe = uring_.sqe();
    io_uring_prep_poll_add(sqe, e->target, POLLOUT);
    if (e->fixed) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, uring_tag(id, kPollOut));
  }

  void remove(uint64_t id, int) override {
    Entry *e = entries_.find(id);
    if (e == nullptr) return;
    // Every request still in flight on the socket holds it open after close() (a send to a
    // peer that never reads, for good); cancelled, the peer sees the close now. By user_data,
    // which carries the channel's generation: a cancel by descriptor would search every poll
    // on the ring, and one that ran late would hit the next socket given the same number.
    if (e->armed && !e->cancelling) cancel_read(id, *e);
    for (UringOp op : {kSend, kPollOut, kHangUp}) cancel(uring_tag(id, op));
    const bool fixed = e->fixed;
    entries_.erase(id);
    // SQEs prepared this turn name the descriptor (or its slot) by number; the loop closes it
    // right after this returns, and a new socket may get that number: they go to the kernel now.
    if (uring_.sq_ready() > 0) io_uring_submit(&uring_.get());
    if (fixed) {  // the table holds its own reference to the socket: drop it
      int none = -1;
      io_uring_register_files_update(&uring_.get(), slot_of(id), &none, 1);
    }
  }

  void wait(int timeout_ms, BackendEvents &events) override {
    // Work already in hand (UDP sockets still readable, completions held back) is handled now:
    // sleeping first would leave it, a peer's reset say, until other traffic came.
    if (!ready_.empty() || completions_left()) timeout_ms = 0;
    if (timeout_ms == 0) {
      if (uring_.sq_ready() > 0 || uring_.completion_work_pending()) io_uring_submit_and_get_events(&uring_.get());
    } else if (timeout_ms < 0) {
      io_uring_submit_and_wait(&uring_.get(), 1);
    } else {
      io_uring_cqe *cqe = nullptr;
      __kernel_timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000LL};
      io_uring_submit_and_wait_timeout(&uring_.get(), &cqe, 1, &ts, nullptr);
    }
    uring_.check_overflow();
    // What submit() reaped comes first, in order, then the ring's: kCompletionsPerWait in all.
    size_t taken = 0;
    while (taken < later_.size() && taken < UringRing::kCompletionsPerWait) {
      const io_uring_cqe c = later_[taken++];  // a copy: handlers may queue more work
      dispatch(c, events);
    }
    later_.erase(later_.begin(), later_.begin() + static_cast<std::ptrdiff_t>(taken));
    unsigned handled = later_.empty() ? static_cast<unsigned>(taken) : UringRing::kCompletionsPerWait;
    io_uring_cqe *batch[UringRing::kCompletionsPerWait];
    unsigned n;
    while (handled < UringRing::kCompletionsPerWait &&
           (n = io_uring_peek_batch_cqe(&uring_.get(), batch, UringRing::kCompletionsPerWait - handled)) > 0) {
      for (unsigned i = 0; i < n; ++i) {
        const io_uring_cqe c = *batch[i];  // copy: handlers may queue more work
        io_uring_cqe_seen(&uring_.get(), batch[i]);
        dispatch(c, events);
      }
      handled += n;
      // When the next peek must enter the kernel, what the handlers queued (a paused reader's
      // cancel above all) goes first: fetching completions runs the multishot reads again,
      // and a flood would keep a cancelled read going until its socket was empty.
      if (uring_.sq_ready() > 0 && uring_.must_enter()) io_uring_submit(&uring_.get());
    }
    renew_hung_up();
    again_.swap(ready_);
    for (uint64_t id : again_) read_datagrams(id, events);
    again_.clear();
  }

  void submit(BackendEvents &events) override {
    // A send usually completes while it is submitted; reporting it lets the loop send what
    // was queued behind it, which needs another round.
    for (int round = 0; round < kSubmitRounds && uring_.sq_ready() > 0; ++round) {
      io_uring_submit_and_get_events(&uring_.get());
      io_uring_cqe *cqe;
      while (io_uring_peek_cqe(&uring_.get(), &cqe) == 0) {
        const io_uring_cqe c = *cqe;
        io_uring_cqe_seen(&uring_.get(), cqe);
        if (uring_tag_op(c.user_data) == kSend) {
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
    if (!uring_.deferred()) return;
    for (int round = 0;
         round < kQuiesceRounds && (uring_.sq_ready() > 0 || uring_.completion_work_pending() || completions_left());
         ++round) {
      const unsigned before = IO_URING_READ_ONCE(*uring_.get().cq.ktail);
      wait(0, events);
      const bool none_new = IO_URING_READ_ONCE(*uring_.get().cq.ktail) == before;
      if (!completions_left() && !uring_.taskrun_flag() && none_new) return;
    }
  }

  void wake() override { wake_.signal(); }
  int pollable_fd() const override { return uring_.fd(); }
  bool has_buffered_work() const override {
    return !ready_.empty() || completions_left() || uring_.sq_ready() > 0 || uring_.completion_work_pending();
  }
  // Completions reaped or posted but not handed to the loop yet (past one wait's cap).
  bool completions_left() const { return !later_.empty() || io_uring_cq_ready(&uring_.get()) > 0; }

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

  void arm_wake() {
    io_uring_sqe *sqe = uring_.sqe();
    io_uring_prep_poll_multishot(sqe, wake_.fd(), POLLIN);  // 5.13
    io_uring_sqe_set_data64(sqe, uring_tag(0, kWake));
  }

  void arm(uint64_t id, Entry &e) {
    io_uring_sqe *sqe = uring_.sqe();
    switch (e.kind) {
      case ChannelKind::listener:
        io_uring_prep_multishot_accept(sqe, e.target, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        break;
      case ChannelKind::stream:
        io_uring_prep_recv_multishot(sqe, e.target, nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = BufferRing::kGroup;
        break;
      case ChannelKind::datagram:
        io_uring_prep_poll_multishot(sqe, e.target, POLLIN);
        break;
    }
    if (e.fixed) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, uring_tag(id, uring_read_op(e.kind)));
    e.armed = true;
  }

  void cancel_read(uint64_t id, Entry &e) {
    cancel(uring_tag(id, uring_read_op(e.kind)));
    e.cancelling = true;  // `armed` stays until the request's final completion
  }

  // Cancels the requests tagged `target` still in flight (every one: ASYNC_CANCEL_ALL, 5.19).
  void cancel(uint64_t target) {
    io_uring_sqe *sqe = uring_.sqe();
    io_uring_prep_cancel64(sqe, target, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, uring_tag(0, kCancel));
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

  // Reads a ready UDP socket, at most kReadsPerTurn packets; the rest in the next turn.
  void read_datagrams(uint64_t id, BackendEvents &events) {
    const Entry *e = entries_.find(id);
    if (e == nullptr || !e->wanted) return;
    if (io_.receive(id, e->fd, ChannelKind::datagram, false, events) == Drain::more) ready_.push_back(id);
  }

  void dispatch(const io_uring_cqe &c, BackendEvents &events) {
    const uint64_t id = uring_tag_id(c.user_data);
    const UringOp op = uring_tag_op(c.user_data);
    const bool last = (c.flags & IORING_CQE_F_MORE) == 0;  // the request's final completion
    switch (op) {
      case kRecv: {
        // Bytes taken even as reading was cancelled are delivered (parked if need be), in the ring's
        // order (a buffer's pieces follow each other). Only a removed channel's bytes are dropped.
        if (c.flags & IORING_CQE_F_BUFFER) {
          const unsigned bid = c.flags >> IORING_CQE_BUFFER_SHIFT;
          const size_t n = c.res > 0 ? static_cast<size_t>(c.res) : 0;
          unsigned char *piece = buffers_.consume(bid, n);
          if (n > 0 && entries_.find(id) != nullptr) events.on_data(id, piece, n, nullptr, 0);
          if ((c.flags & BufferRing::kCqeBufMore) == 0) buffers_.recycle(bid);
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

  BufferRing buffers_;  // declared before uring_, so the ring lets go of the buffers first
  UringRing uring_;
  WakeEvent wake_;
  SlotTable<Entry> entries_;
  std::vector<uint64_t> ready_;
  std::vector<uint64_t> again_;
  std::vector<io_uring_cqe> later_;  // completions submit() left for wait()
  std::vector<uint64_t> hung_up_;    // streams whose hang-up poll fired in this wait()
  ReadinessIo io_;
  uint64_t rearms_ = 0, enobufs_ = 0;
  uint64_t renewals_ = 0;  // receives renewed after a hang-up (see the header)
};

}  // namespace

std::unique_ptr<Backend> make_io_uring_backend(const BackendOptions &options, std::string *error) {
  auto backend = std::make_unique<IoUringBackend>();
  if (!backend->init(options, error)) return nullptr;
  return backend;
}

}  // namespace queuednet::detail
