// Internal. BufferPool: see buffer_pool.h.
#include "engine/buffer_pool.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstdlib>
#include <mutex>
#include <new>

namespace queuednet::detail {

BufferPool &BufferPool::global() {
  static BufferPool *pool = new BufferPool(kKeepBytes);
  return *pool;
}

BufferPool::~BufferPool() {
  for (Class &c : classes_) {
    for (void *block : c.blocks) std::free(block);
  }
}

size_t BufferPool::class_of(size_t bytes) {
  return static_cast<size_t>(std::countr_zero(bytes) - std::countr_zero(kMinBytes));
}

void *BufferPool::take(size_t bytes) {
  assert(pooled(bytes));
  Class &c = classes_[class_of(bytes)];
  {
    std::lock_guard lock(c.lock);
    if (!c.blocks.empty()) {
      void *block = c.blocks.back();
      c.blocks.pop_back();
      c.low = std::min(c.low, c.blocks.size());
      kept_.fetch_sub(bytes, std::memory_order_relaxed);
      return block;
    }
    c.low = 0;
  }
  void *block = std::malloc(bytes);
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

void BufferPool::give(void *block, size_t bytes) noexcept {
  assert(pooled(bytes));
  if (kept_.fetch_add(bytes, std::memory_order_relaxed) + bytes <= keep_bytes_) {
    Class &c = classes_[class_of(bytes)];
    std::lock_guard lock(c.lock);
    try {
      c.blocks.push_back(block);
      return;
    } catch (const std::bad_alloc &) {
      // No room to remember it: free it below.
    }
  }
  kept_.fetch_sub(bytes, std::memory_order_relaxed);
  std::free(block);
}

void BufferPool::trim_unused() noexcept {
  for (size_t k = 0; k < kClasses; ++k) {
    const size_t bytes = kMinBytes << k;
    Class &c = classes_[k];
    // Taken under the lock, freed after it (a 1 MiB block may be a munmap).
    std::array<void *, 64> freed;
    size_t n;
    do {
      {
        std::lock_guard lock(c.lock);
        n = std::min({c.low, c.blocks.size(), freed.size()});
        std::copy_n(c.blocks.begin(), n, freed.begin());
        c.blocks.erase(c.blocks.begin(), c.blocks.begin() + static_cast<ptrdiff_t>(n));
        c.low -= n;
        kept_.fetch_sub(n * bytes, std::memory_order_relaxed);
        if (n < freed.size()) c.low = c.blocks.size();  // the next interval starts
      }
      for (size_t i = 0; i < n; ++i) std::free(freed[i]);
    } while (n == freed.size());
  }
}

}  // namespace queuednet::detail
