// Internal. BufferPool: see buffer_pool.h.
#include "engine/buffer_pool.h"

#include <algorithm>
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
    size_t unused;
    {
      std::lock_guard lock(c.lock);
      unused = std::min(c.low, c.blocks.size());
      if (unused == 0) c.low = c.blocks.size();  // the next interval starts
    }
    if (unused == 0) continue;
    // The blocks are taken under the lock (one erase) and freed after it (a 1 MiB block may be
    // a munmap); the list that carries them is made before it.
    std::vector<void *> freed;
    try {
      freed.reserve(unused);
    } catch (const std::bad_alloc &) {
      continue;  // kept until a later trim
    }
    {
      std::lock_guard lock(c.lock);
      const size_t n = std::min({unused, c.low, c.blocks.size()});  // takes since may have lowered it
      freed.assign(c.blocks.begin(), c.blocks.begin() + static_cast<ptrdiff_t>(n));
      c.blocks.erase(c.blocks.begin(), c.blocks.begin() + static_cast<ptrdiff_t>(n));
      kept_.fetch_sub(n * bytes, std::memory_order_relaxed);
      c.low = c.blocks.size();  // the next interval starts
    }
    for (void *block : freed) std::free(block);
  }
}

}  // namespace queuednet::detail
