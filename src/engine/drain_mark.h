// Internal. DrainMark: what a queue's *_available() calls found lately, so that polled mode
// turns the loop once per drain, not once per call.
//
// An application that drains a queue (`while (new_connection_available()) ...`, then
// `while (data_available()) ...`) ends each drain with a call that finds it empty. Turning
// the loop there reads more than the application asked for: after a stall, a listener's drain
// that turned once per accepted batch read every socket before a datagram was taken, and the
// reader queue, which keeps every block it ever allocated, stayed that deep for good. So a
// call that finds the queue empty while the drain's last look at the clock (at its first item
// and every kFoundPerLook items) is under kDrainGap old ends the drain: it writes what send()
// queued and returns false without turning; the next call turns.
// A call that comes later (an application that takes one datagram per frame, or that slept)
// turns, as before: the rule skips only turns the application is about to make again.
//
// Thread contract: any thread (a hint under concurrency, like the queue's emptiness).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "engine/steady_ns.h"

namespace queuednet::detail {

class Engine;

class DrainMark {
 public:
  static constexpr std::chrono::nanoseconds kDrainGap = std::chrono::milliseconds(1);

  // Polled mode: the caller found an item. Reads the clock at a drain's first item and every
  // kFoundPerLook items after it.
  void found() {
    const uint32_t n = found_.load(std::memory_order_relaxed);
    found_.store(n + 1, std::memory_order_relaxed);
    if (n % kFoundPerLook == 0) last_look_ns_.store(steady_now_ns(), std::memory_order_relaxed);
  }

  // The caller found the queue empty: polled, turns the loop unless this call ends a drain;
  // either way what send() queued goes out (threaded mode: the workers are woken to write it).
  void look_for_more(Engine &engine);

 private:
  static constexpr uint32_t kFoundPerLook = 16;

  std::atomic<uint32_t> found_{0};  // items found since a call last found the queue empty
  std::atomic<int64_t> last_look_ns_{0};
};

}  // namespace queuednet::detail
