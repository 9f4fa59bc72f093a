// Internal. HeldOutput: polled mode's burst rule and the thread that keeps it from stranding
// bytes.
//
// The burst rule: a send() made while nothing waits to be read is written before it returns,
// unless the same thread's previous such send was written less than kBurstWindow ago and the
// loop has not written every marked connection since (no flush_dirty: a *_available() or
// get_data() finding nothing, a turn, a wait, another thread's immediate send, the late
// writer; flush() of one connection does not count): then it is a later send of a burst, and
// it is held. The next of those writes the burst's held sends with one system call per
// connection: a burst costs two writes per connection, its first send and the rest, where
// Panda3D makes one per send. A send to a connection already marked (its output waits for
// the end of a drain, or a burst's) is held the same way (EventLoop::write_rule).
//
// The safety net: an application that sends a burst and then sleeps without calling the
// library would leave its last sends unwritten. The first hold starts one thread, the late
// writer. It looks every kTick, and what is held (or a request queued for the loop) at the
// end of a tick in which the loop wrote nothing is written by it: it takes the loop's turn if
// it is free, or wakes the thread that holds the turn asleep in a wait. A held send thus waits
// up to about two ticks (output the socket cannot take yet then waits for turns, as any
// output does). After kQuietTicks ticks with nothing held the thread sleeps until a hold
// wakes it (a futex wake on the sending thread).
//
// Thread contract: in_burst, hold, writing and stop from any thread; wrote_at_once and written
// on the thread turning the loop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "engine/steady_ns.h"

namespace queuednet::detail {

// A thread's current burst on one loop: the loop had written `epoch` times when it began.
struct BurstStart {
  const void *loop = nullptr;
  uint64_t epoch = 0;
  int64_t start_ns = 0;
};

class HeldOutput {
 public:
  static constexpr std::chrono::nanoseconds kBurstWindow = std::chrono::microseconds(50);
  static constexpr std::chrono::nanoseconds kTick = std::chrono::microseconds(500);
  static constexpr int kQuietTicks = 4;

  // `write` writes what is held (see above); `requests` counts the loop's queued requests.
  HeldOutput(std::function<void()> write, const std::atomic<int64_t> &requests)
      : write_(std::move(write)), requests_(requests) {}
  ~HeldOutput() { stop(); }
  HeldOutput(const HeldOutput &) = delete;
  HeldOutput &operator=(const HeldOutput &) = delete;

  // Whether a send made at `now` (steady_now_ns) by this thread continues its burst.
  bool in_burst(int64_t now) const {
    const BurstStart &b = burst_;
    return b.loop == this && b.epoch == writes_.load(std::memory_order_relaxed) &&
           now - b.start_ns < kBurstWindow.count();
  }
  // This thread's send was written at once, at `now` (after the loop wrote): a burst begins.
  void wrote_at_once(int64_t now) { burst_ = BurstStart{this, writes_.load(std::memory_order_relaxed), now}; }
  // The loop begins writing every marked connection: what was held is being written, and
  // every thread's next send goes at once.
  void written() {
    if (pending_.load(std::memory_order_relaxed)) pending_.store(false, std::memory_order_seq_cst);
    writes_.store(writes_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);  // one writer
  }
  // A send was held (its connection is already marked, or its request queued): the late
  // writer will write it if the loop does not. False when the writer cannot run (stopped, or
  // it could not be started): the caller writes at once instead.
  bool hold() {
    if (stopping_.load(std::memory_order_relaxed)) return false;
    if (pending_.load(std::memory_order_relaxed)) return true;
    pending_.store(true, std::memory_order_seq_cst);
    recent_.store(true, std::memory_order_relaxed);
    if (!started_.load(std::memory_order_acquire)) return start();
    if (parked_.load(std::memory_order_seq_cst)) {
      std::lock_guard lock(mutex_);
      cv_.notify_one();
    }
    return true;
  }
  // How many times the loop has begun writing every marked connection (written()). Any thread.
  uint64_t epoch() const { return writes_.load(std::memory_order_relaxed); }
  // Whether the late writer is writing now (it holds the loop's turn briefly, or is about to).
  bool writing() const { return writing_.load(std::memory_order_acquire); }
  // Ends the late writer (it finishes a write in progress). Holds are refused from then on.
  void stop();

 private:
  static inline thread_local BurstStart burst_{};  // this thread's current burst

  bool start();
  void run();
  // Output is held, or requests wait for the loop (a held send's request outlives `pending_`
  // when another thread's write clears it first).
  bool held(std::memory_order order) const { return pending_.load(order) || requests_.load(order) > 0; }

  const std::function<void()> write_;
  const std::atomic<int64_t> &requests_;
  std::atomic<bool> pending_{false};  // output is held
  std::atomic<bool> recent_{false};   // a hold since the writer's last tick
  std::atomic<uint64_t> writes_{0};   // counts written()
  std::atomic<bool> started_{false};
  std::atomic<bool> parked_{false};  // the writer sleeps until a hold wakes it
  std::atomic<bool> writing_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;  // guards the writer's sleep and its start
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace queuednet::detail
