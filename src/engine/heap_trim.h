// Internal. HeapTrim: gives memory the process has freed back to the kernel, every few seconds.
//
// glibc keeps what is freed inside its heaps for reuse; only the top of a heap goes back. A
// server's memory follows its backlog: when it falls behind, a turn holds more datagrams and
// answers, and glibc's heap keeps the highest such turn for good (polled epoll under
// bench/soak.sh: RSS stepping up by a turn's worth long after the first minute). So, at most
// once per interval, the first loop to end a turn after the interval passed (one atomic
// exchange decides) frees the buffer pool's blocks that went unused since the last trim and
// calls malloc_trim(0), which returns the free pages inside every glibc heap; RSS then follows
// what is in use. Other allocators (jemalloc, tcmalloc) return memory on their own, and
// nothing is done when the C library is not glibc.
//
// The trim runs on the loop's thread and holds each glibc arena's lock while it walks it, so
// the process's other threads wait for it; the pages it returns fault back in when reused. A
// loop trims only at the end of a turn: one that sleeps with nothing to do keeps what was
// freed since the last trim until it turns again.
//
// The interval is QUEUEDNET_HEAP_TRIM seconds (default 10, at least 1 ms, at most a day; 0
// turns the trim off, the buffer pool's included), read once.
// Thread contract: any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace queuednet::detail {

class HeapTrim {
 public:
  using Clock = std::chrono::steady_clock;
  // The process's trimmer, with the interval from the environment.
  static HeapTrim &global();

  // `trim` is what a trim does (the global one: the pool, then malloc_trim).
  HeapTrim(Clock::duration interval, void (*trim)()) : interval_(interval), trim_(trim) {}

  // Loop thread, at the end of a turn: trims if the interval has passed since the last trim
  // (by any loop). Most calls only count.
  void after_turn() {
    thread_local uint32_t turns = 0;
    if ((++turns & (kTurnsPerLook - 1)) != 0 || interval_ <= Clock::duration::zero()) return;
    due(Clock::now());
  }
  // Trims if `now` is an interval past the last trim (the first call only starts the clock);
  // true if this call trimmed.
  bool due(Clock::time_point now);
  // How many trims ran.
  uint64_t trims() const { return trims_.load(std::memory_order_relaxed); }

 private:
  static constexpr uint32_t kTurnsPerLook = 64;  // the clock is read once per this many turns

  const Clock::duration interval_;
  void (*const trim_)();
  std::atomic<int64_t> last_ns_{0};  // 0: no look yet
  std::atomic<uint64_t> trims_{0};
};

}  // namespace queuednet::detail
