// Internal. A bounded multi-producer multi-consumer queue of results (datagrams, new
// connections, resets) on top of moodycamel::ConcurrentQueue.
//
// Each event loop is one producer with its own ProducerToken, so items from one loop, and
// therefore from one connection, are dequeued in the order they were pushed. Any number of
// threads may pop; each item goes to exactly one of them. Past the maximum size the newest
// item is refused, the overflow flag is set and the refusal counted (Panda3D's policy).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <concurrentqueue/concurrentqueue.h>

namespace queuednet::detail {

inline constexpr size_t kMaxLoops = 256;
inline constexpr int kDefaultResponseQueueSize = 50000;  // Panda3D's net-max-response-queue

template <class T>
class ResultQueue {
 public:
  explicit ResultQueue(int max_size = kDefaultResponseQueueSize) : max_size_(max_size) {}

  // Loop `producer`'s thread only. False if refused (queue full). The bound is exact with any
  // number of producers: a slot is reserved in `count_` before the item is enqueued.
  bool push(uint32_t producer, T &&item) {
    if (count_.fetch_add(1, std::memory_order_relaxed) >= max_size_.load(std::memory_order_relaxed)) {
      count_.fetch_sub(1, std::memory_order_relaxed);
      overflow_.store(true, std::memory_order_relaxed);
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    auto &token = tokens_[producer];
    if (!token) token = std::make_unique<moodycamel::ProducerToken>(queue_);
    queue_.enqueue(*token, std::move(item));
    // Wake a consumer blocked in wait(). Pairs with the fence in wait(): either it sees the
    // item, or this sees it waiting.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (waiters_.load(std::memory_order_relaxed) > 0) {
      { std::lock_guard lock(wait_mutex_); }
      wait_cv_.notify_one();
    }
    return true;
  }

  // Any thread: blocks until the queue is non-empty or `timeout` passes; true if non-empty.
  bool wait(std::chrono::nanoseconds timeout) {
    if (!empty()) return true;
    waiters_.fetch_add(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    bool ready;
    {
      std::unique_lock lock(wait_mutex_);
      ready = wait_cv_.wait_for(lock, timeout, [this] { return !empty(); });
    }
    waiters_.fetch_sub(1, std::memory_order_relaxed);
    return ready;
  }

  // Any thread.
  bool pop(T &out) {
    if (!queue_.try_dequeue(out)) return false;
    count_.fetch_sub(1, std::memory_order_relaxed);
    return true;
  }
  // Whether an item is visible to pop (a hint under concurrency, as in Panda3D).
  bool empty() const { return queue_.size_approx() == 0; }
  // Items queued, counting those being pushed right now.
  size_t size() const { return static_cast<size_t>(count_.load(std::memory_order_relaxed)); }
  int max_size() const { return max_size_.load(std::memory_order_relaxed); }
  void set_max_size(int n) { max_size_.store(n, std::memory_order_relaxed); }
  bool overflow() const { return overflow_.load(std::memory_order_relaxed); }
  void reset_overflow() { overflow_.store(false, std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  moodycamel::ConcurrentQueue<T> queue_;
  std::array<std::unique_ptr<moodycamel::ProducerToken>, kMaxLoops> tokens_;
  std::atomic<int> max_size_;
  std::atomic<int> count_{0};
  std::atomic<bool> overflow_{false};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<int> waiters_{0};
  std::mutex wait_mutex_;
  std::condition_variable wait_cv_;
};

}  // namespace queuednet::detail
