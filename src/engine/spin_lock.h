// Internal. SpinLock: the lock of a connection's output and membership, held for a few dozen
// instructions at a time (appending a frame, swapping a buffer, pushing a batch) and taken
// once per datagram on the send path. Taking it is one atomic exchange and letting go a plain
// release store, where a std::mutex costs two locked instructions and two library calls. A
// waiter spins briefly, then yields its time slice, so a holder that was preempted (or that
// closes a socket under the lock) does not make it burn a core.
// Thread contract: any thread; not recursive. Meets Lockable (std::lock_guard, unique_lock).
#pragma once

#include <atomic>
#include <thread>

namespace queuednet::detail {

class SpinLock {
 public:
  void lock() noexcept {
    if (!locked_.exchange(true, std::memory_order_acquire)) [[likely]] return;
    wait_and_lock();
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  static constexpr int kSpinsBeforeYield = 64;
  [[gnu::noinline]] void wait_and_lock() noexcept {
    do {
      for (int spins = 0; locked_.load(std::memory_order_relaxed);) {
        if (++spins < kSpinsBeforeYield) {
          relax();
        } else {
          std::this_thread::yield();
        }
      }
    } while (locked_.exchange(true, std::memory_order_acquire));
  }
  static void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  std::atomic<bool> locked_{false};
};

}  // namespace queuednet::detail
