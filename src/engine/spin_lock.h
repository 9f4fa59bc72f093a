// Internal. SpinLock: the lock of a connection's output and membership, and of a reader's
// front. Taken once per datagram on the send and get_data paths and held there for a few
// dozen instructions (appending a frame, handing out a datagram); the loop holds a
// connection's membership lock for one receive's delivery (decoding it and pushing the
// batch), bounded by the reader's input budget, and a listener's while it sets up an accepted
// socket (a few system calls, once per connection). Taking it is
// one atomic exchange and letting go a plain release store, where a std::mutex costs two
// locked instructions and two library calls. A waiter spins briefly, then yields its time
// slice, so a holder that was preempted does not make it spin for long.
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
