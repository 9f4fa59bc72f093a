// Internal. BufferPool: blocks of 256 B to 1 MiB, in power-of-two classes, kept for reuse when a
// ByteBuffer lets go of them instead of being returned to malloc.
//
// Output and parked-input buffers grow with a connection's traffic and die with it. Under
// churn, thousands of such blocks a second went back to malloc and were asked for again, among
// the connections' small long-lived objects; glibc's main heap then kept growing while what was
// in use stayed flat (a polled server under bench/soak.sh; docs/architecture.md). A kept block
// is reused whole by the next buffer of its class. The small classes serve output buffers,
// which a connection gives back after every completed write (EventLoop::take_pending) and
// takes again at its next send: from the pool that round trip costs about 130 instructions
// (two spin locks, two adds to the kept count), where malloc, its per-thread cache overflowing
// with hundreds of connections, cost about 460 (callgrind on the polled echo server under 200
// connections: bench/instructions_per_message.sh with a profile, read with callgrind_annotate).
// The pool keeps at most its limit (the global one: kKeepBytes); what is given back past it goes
// to free(). Every few seconds HeapTrim (heap_trim.h) calls trim_unused(), which frees the blocks
// of each class that stayed in the pool the whole time since the last trim: the pool then holds
// what the traffic of the last interval reused, and no reserve that grows with the peaks of a
// long run.
// Thread contract: any thread (a spin lock per class).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <vector>

#include "engine/spin_lock.h"

namespace queuednet::detail {

class BufferPool {
 public:
  static constexpr size_t kMinBytes = size_t{1} << 8;
  static constexpr size_t kMaxBytes = size_t{1} << 20;
  static constexpr size_t kKeepBytes = size_t{32} << 20;

  // Whether blocks of `bytes` come from a pool: a power of two in [kMinBytes, kMaxBytes].
  static constexpr bool pooled(size_t bytes) {
    return bytes >= kMinBytes && bytes <= kMaxBytes && (bytes & (bytes - 1)) == 0;
  }
  // The pool every ByteBuffer uses (never destroyed: buffers may outlive static destructors).
  static BufferPool &global();

  explicit BufferPool(size_t keep_bytes) : keep_bytes_(keep_bytes) {}
  BufferPool(const BufferPool &) = delete;
  BufferPool &operator=(const BufferPool &) = delete;
  ~BufferPool();

  // A block of `bytes` (pooled(bytes)): a kept one if there is one. Throws std::bad_alloc.
  void *take(size_t bytes);
  // Gives back a block take(bytes) returned.
  void give(void *block, size_t bytes) noexcept;
  // Frees, in each class, as many kept blocks as stayed kept through the whole time since the
  // last trim_unused() (the fewest the class held at any moment), the longest-kept first.
  void trim_unused() noexcept;
  // Bytes kept for reuse now.
  size_t kept_bytes() const { return kept_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kClasses = 13;  // 256 B .. 1 MiB
  static size_t class_of(size_t bytes);

  struct alignas(64) Class {  // one cache line each: different sizes do not share a line
    SpinLock lock;
    std::vector<void *> blocks;  // the most recently given last
    size_t low = 0;              // the fewest blocks kept since the last trim_unused()
  };
  const size_t keep_bytes_;
  alignas(64) std::atomic<size_t> kept_{0};
  std::array<Class, kClasses> classes_;
};

}  // namespace queuednet::detail
