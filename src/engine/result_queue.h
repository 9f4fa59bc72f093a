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

  // Loop `producer`'s thread only. False if refused (queue full).
  bool push(uint32_t producer, T &&item) {
    if (static_cast<long long>(queue_.size_approx()) >= max_size_.load(std::memory_order_relaxed)) {
      overflow_.store(true, std::memory_order_relaxed);
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    auto &token = tokens_[producer];
    if (!token) token = std::make_unique<moodycamel::ProducerToken>(queue_);
    queue_.enqueue(*token, std::move(item));
    return true;
  }

  // Any thread.
  bool pop(T &out) { return queue_.try_dequeue(out); }
  bool empty() const { return queue_.size_approx() == 0; }
  size_t size() const { return queue_.size_approx(); }
  int max_size() const { return max_size_.load(std::memory_order_relaxed); }
  void set_max_size(int n) { max_size_.store(n, std::memory_order_relaxed); }
  bool overflow() const { return overflow_.load(std::memory_order_relaxed); }
  void reset_overflow() { overflow_.store(false, std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  moodycamel::ConcurrentQueue<T> queue_;
  std::array<std::unique_ptr<moodycamel::ProducerToken>, kMaxLoops> tokens_;
  std::atomic<int> max_size_;
  std::atomic<bool> overflow_{false};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace queuednet::detail
