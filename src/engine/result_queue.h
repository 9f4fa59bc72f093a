// Internal. A bounded multi-producer multi-consumer queue of results (datagrams, new
// connections, resets) on top of moodycamel::ConcurrentQueue.
//
// Each event loop is one producer with its own ProducerToken and pushes in bulk (what one
// receive produced), so items from one loop, and therefore from one connection, are dequeued
// in the order they were pushed. Any number of threads may pop, each through its own
// ConsumerToken; each item goes to exactly one of them. Past the maximum size the newest items
// are refused, the overflow flag is set and the refusals counted (Panda3D's policy).
//
// The bound is exact with any number of producers and costs no shared write per item: a
// producer reserves room for a whole batch in `reserved_` (one atomic add per batch), and
// consumers count pops in a sharded counter that producers sum only when a batch might not
// fit. Waiting consumers are woken once per loop turn (notify_waiters), not once per item.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>

#include "engine/hand_off_queue.h"
#include "engine/readiness_event.h"
#include "engine/sharded_counter.h"

namespace queuednet::detail {

inline constexpr size_t kMaxLoops = 256;
inline constexpr int kDefaultResponseQueueSize = 50000;  // Panda3D's net-max-response-queue

// The waiting side of a queue, shared by every ResultQueue<T>: consumers sleep in wait(),
// the producing loop calls notify_waiters() after a turn that pushed something, and the engine
// closes it when it shuts down (no loop will push again). A foreign event loop waits on its
// readiness descriptor instead (readiness_event.h), made on first request.
class QueueSignal {
 public:
  // Any thread: wakes every consumer blocked in wait() and makes later waits return at once;
  // makes the readiness descriptor readable, so a loop waiting on it looks.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_.store(true, std::memory_order_relaxed);
    }
    cv_.notify_all();
    if (ReadinessEvent *r = readiness_.load(std::memory_order_acquire)) r->signal();
  }

  // Any thread: wakes every consumer blocked in wait() and makes the readiness descriptor
  // readable. Two loads after the fence when nobody waits either way.
  void notify_waiters() {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with the fences in wait(), clear()
    if (ReadinessEvent *r = readiness_.load(std::memory_order_acquire)) r->signal();
    if (waiters_.load(std::memory_order_relaxed) == 0) return;
    { std::lock_guard lock(mutex_); }
    cv_.notify_all();
  }

  // Any thread: the readiness descriptor, made on the first call with `sources` (see
  // ReadinessEvent::create); -1 and *error when it cannot be made, or after close_readiness().
  int readiness_fd(std::span<const int> sources, std::error_code *error) {
    std::lock_guard lock(mutex_);
    if (!readiness_owner_) {
      readiness_owner_ = ReadinessEvent::create(sources, error);
      if (!readiness_owner_) return -1;
      readiness_.store(readiness_owner_.get(), std::memory_order_release);
    }
    const int fd = readiness_owner_->fd();
    if (fd < 0) *error = std::make_error_code(std::errc::bad_file_descriptor);
    return fd;
  }
  // Any thread: the readiness event once made, else nullptr.
  const ReadinessEvent *readiness() const { return readiness_.load(std::memory_order_acquire); }
  // Any thread: the application found the queue empty (`ready()` says whether it still is
  // not): the readiness descriptor stops being readable unless an item came meanwhile.
  template <class Ready>
  void readiness_idle(Ready ready) {
    if (ReadinessEvent *r = readiness_.load(std::memory_order_acquire)) r->clear(ready);
  }
  // The owner's destructor: closes the readiness descriptor.
  void close_readiness() {
    if (ReadinessEvent *r = readiness_.load(std::memory_order_acquire)) r->close();
  }

 protected:
  // Blocks until `ready()`, `timeout` or close(); returns ready().
  template <class Ready>
  bool wait_until_ready(std::chrono::nanoseconds timeout, Ready ready) {
    if (ready() || closed_.load(std::memory_order_relaxed)) return ready();
    waiters_.fetch_add(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // either we see the item or the pusher sees us
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, timeout, [&] { return ready() || closed_.load(std::memory_order_relaxed); });
    }
    waiters_.fetch_sub(1, std::memory_order_relaxed);
    return ready();
  }

 private:
  std::atomic<bool> closed_{false};
  std::atomic<int> waiters_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::unique_ptr<ReadinessEvent> readiness_owner_;  // under mutex_
  std::atomic<ReadinessEvent *> readiness_{nullptr};
};

template <class T>
class ResultQueue : public QueueSignal {
 public:
  explicit ResultQueue(int max_size = kDefaultResponseQueueSize) : max_size_(max_size) {}
  ResultQueue(const ResultQueue &) = delete;
  ResultQueue &operator=(const ResultQueue &) = delete;

  // Loop `producer`'s thread only. Pushes items[0..n) in order, moving them; refuses the
  // newest ones that do not fit. Returns how many were pushed. Does not wake waiters.
  size_t push(uint32_t producer, T *items, size_t n) {
    if (n == 0) return 0;
    Producer &p = producer_state(producer);
    const int64_t max = max_size_.load(std::memory_order_relaxed);
    const int64_t before = reserved_.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
    // Pops only ever grow, so an old count of them overestimates the size: safe to trust when
    // the batch fits; otherwise look at the real count.
    int64_t room = max - (before - p.popped_seen);
    if (room < static_cast<int64_t>(n)) {
      p.popped_seen = popped_.sum();
      room = max - (before - p.popped_seen);
    }
    const size_t accepted = static_cast<size_t>(std::clamp<int64_t>(room, 0, static_cast<int64_t>(n)));
    if (accepted < n) reserved_.fetch_sub(static_cast<int64_t>(n - accepted), std::memory_order_relaxed);
    if (accepted > 0) queue_.enqueue_bulk(p.token, std::make_move_iterator(items), accepted);
    if (accepted < n) {
      // Published after the accepted items: whoever sees the drop finds them ready to pop.
      overflow_.store(true, std::memory_order_release);
      dropped_.fetch_add(n - accepted, std::memory_order_release);
    }
    return accepted;
  }
  bool push(uint32_t producer, T &&item) { return push(producer, &item, 1) == 1; }

  // Any thread. False (out untouched) when empty.
  bool pop(T &out) { return pop_bulk(&out, 1) == 1; }

  // Any thread: moves up to `max` items into out[0..), oldest first; returns how many.
  size_t pop_bulk(T *out, size_t max) {
    const size_t n = queue_.try_dequeue_bulk(consumer_token(), out, max);
    if (n > 0) popped_.add(static_cast<int64_t>(n));
    return n;
  }

  // Any thread: blocks until `ready()` (which the caller makes true at least when an item is
  // visible), `timeout` passes or the queue is closed; returns ready().
  template <class Ready>
  bool wait(std::chrono::nanoseconds timeout, Ready ready) {
    return wait_until_ready(timeout, ready);
  }

  // Whether an item is visible to pop (a hint under concurrency, as in Panda3D).
  bool empty() const { return queue_.size_approx() == 0; }
  // Items queued, counting those being pushed right now.
  size_t size() const {
    const int64_t n = reserved_.load(std::memory_order_relaxed) - popped_.sum();
    return n > 0 ? static_cast<size_t>(n) : 0;
  }
  int max_size() const { return static_cast<int>(max_size_.load(std::memory_order_relaxed)); }
  void set_max_size(int n) { max_size_.store(n, std::memory_order_relaxed); }
  bool overflow() const { return overflow_.load(std::memory_order_acquire); }
  void reset_overflow() { overflow_.store(false, std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_acquire); }

 private:
  struct Producer {
    explicit Producer(HandOffQueue<T> &q) : token(q) {}
    moodycamel::ProducerToken token;
    int64_t popped_seen = 0;
  };

  Producer &producer_state(uint32_t producer) {
    auto &p = producers_[producer];
    if (!p) p = std::make_unique<Producer>(queue_);
    return *p;
  }

  // The calling thread's token for this queue, kept across calls (a token must only be used
  // with the queue that made it, hence the id check).
  moodycamel::ConsumerToken &consumer_token() {
    struct Slot {
      uint64_t queue = 0;
      std::optional<moodycamel::ConsumerToken> token;
    };
    thread_local std::array<Slot, 4> slots;
    thread_local size_t next_victim = 0;
    for (Slot &s : slots) {
      if (s.queue == id_) return *s.token;
    }
    Slot &s = slots[next_victim++ % slots.size()];
    s.token.emplace(queue_);
    s.queue = id_;
    return *s.token;
  }

  static uint64_t next_id() {
    static std::atomic<uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  const uint64_t id_ = next_id();
  HandOffQueue<T> queue_;
  std::array<std::unique_ptr<Producer>, kMaxLoops> producers_;  // destroyed before queue_
  std::atomic<int64_t> max_size_;
  std::atomic<int64_t> reserved_{0};
  ShardedCounter popped_;
  std::atomic<bool> overflow_{false};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace queuednet::detail
