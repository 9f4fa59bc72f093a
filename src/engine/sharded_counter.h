// Internal. A counter many threads add to without sharing a cache line: each thread adds to
// one of kShards padded slots, chosen once per thread; sum() adds the slots up. The sum is
// exact when no add is in flight and eventually consistent otherwise.
// Thread contract: add() and sum() from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace queuednet::detail {

class ShardedCounter {
 public:
  void add(int64_t n, std::memory_order order = std::memory_order_relaxed) noexcept {
    shards_[shard()].value.fetch_add(n, order);
  }
  int64_t sum(std::memory_order order = std::memory_order_relaxed) const noexcept {
    int64_t total = 0;
    for (const Shard &s : shards_) total += s.value.load(order);
    return total;
  }

 private:
  static constexpr size_t kShards = 16;
  struct alignas(64) Shard {
    std::atomic<int64_t> value{0};
  };
  static size_t shard() noexcept {
    static std::atomic<size_t> next{0};
    thread_local const size_t mine = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return mine;
  }
  std::array<Shard, kShards> shards_;
};

}  // namespace queuednet::detail
