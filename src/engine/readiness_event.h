// Internal. ReadinessEvent: the descriptor a foreign event loop (epoll, poll, selectors,
// asyncio) waits on for one queue: a reader's datagrams, a listener's new connections or the
// manager's resets. Made on the first get_readiness_fd() call, so a queue nobody watches pays
// one atomic load per loop turn that pushed to it.
//
// Level-triggered from the application's view: an eventfd made readable when the queue goes
// from empty to not empty (one write per transition, not per item: a flag says it is already
// readable) and read to empty when the application finds the queue empty (a failed take or a
// false *_available()), after which the flag is lowered and the queue looked at again, so an
// item pushed meanwhile makes it readable again (a store/fence/load on each side: one of the
// two sees the other).
// It starts readable: items queued before it existed are not missed, at the cost of one early
// wake-up.
//
// Polled mode adds what the application's loop must turn the engine for: the descriptor handed
// out is then an epoll set holding the eventfd and the sources the engine names (its backend's
// descriptor and its loop's wake timer, see EventLoop::wake_timer_fd).
//
// Thread contract: signal() from any thread (the loops); clear() from application threads;
// close() once, by the owner's destructor. The descriptors are closed under a lock that
// signal() takes too, so a loop never writes to a number that was closed and reused.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <system_error>

namespace queuednet::detail {

class ReadinessEvent {
 public:
  // An eventfd (readable at first), and, when `sources` is not empty, an epoll set watching it
  // and them. nullptr and *error when a descriptor cannot be made.
  static std::unique_ptr<ReadinessEvent> create(std::span<const int> sources, std::error_code *error);
  ~ReadinessEvent();
  ReadinessEvent(const ReadinessEvent &) = delete;
  ReadinessEvent &operator=(const ReadinessEvent &) = delete;

  // The descriptor to wait on: the epoll set in polled mode, else the eventfd. -1 after close().
  int fd() const { return set_fd_ >= 0 ? set_fd_ : event_fd_; }

  // Any thread, after pushing: makes it readable unless it already is.
  void signal() {
    if (signalled_.load(std::memory_order_relaxed) || signalled_.exchange(true)) return;
    write_event();
  }

  // The application found the queue empty: makes the eventfd unreadable, unless `ready()`
  // (whether the queue holds an item) is true once that is done.
  // The read comes before the flag is lowered: a signal() between the two finds the flag up and
  // writes nothing, and the look at the queue after the fence sees its item and signals again.
  template <class Ready>
  void clear(Ready ready) {
    if (!signalled_.load(std::memory_order_acquire)) return;
    read_event();
    signalled_.store(false, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with the pusher's fence
    if (ready()) signal();
  }

  // Closes the descriptors; signal() and clear() do nothing afterwards.
  void close();

 private:
  ReadinessEvent() = default;
  void write_event();
  void read_event();

  std::mutex mutex_;  // guards the descriptors against close()
  int event_fd_ = -1;
  int set_fd_ = -1;
  std::atomic<bool> signalled_{true};
};

}  // namespace queuednet::detail
