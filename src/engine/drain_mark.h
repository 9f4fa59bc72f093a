// Internal. DrainMark: what a queue's *_available() calls found lately, so that polled mode
// turns the loop once per iteration of the application's loop, not once per call.
//
// The manual's loop checks each queue in turn (new_connection_available(),
// reset_connection_available(), data_available()), draining each, then starts again. A call
// that finds its queue empty turns the loop, unless both:
//  - the loop has read its sockets since this queue was last found empty (so this queue has
//    not yet been found empty after that turn: the call belongs to the iteration the turn
//    began, and the next iteration turns again), and
//  - that turn, or this queue's drain (its first item, then every kFoundPerLook items), is
//    under kDrainGap old.
// Then the call writes what send() queued and returns false without turning. Skipping such
// turns keeps an iteration's checks from each reading the sockets (after a stall, a listener's
// drain that turned once per accepted batch read every socket before a datagram was taken),
// and lets a turn gather what arrived while the application answered. An application that
// checks one queue per frame, or that slept, turns as before: its turn is stale.
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

  // The caller found the queue empty: polled, turns the loop unless the rule above skips the
  // turn; either way what send() queued goes out (threaded mode: the workers are woken to
  // write it). `still_empty()` says whether the queue is empty after the turn: only then was
  // it found empty after that turn (a turn that filled it begins a drain).
  template <class StillEmpty>
  void look_for_more(Engine &engine, StillEmpty &&still_empty) {
    if (skips_turn(engine)) return;
    const uint64_t after = turn(engine);
    if (still_empty()) seen_turn_.store(after, std::memory_order_relaxed);
  }

 private:
  static constexpr uint32_t kFoundPerLook = 16;

  // Threaded, or the rule skips the turn: writes what send() queued and returns true.
  bool skips_turn(Engine &engine);
  // Turns the loop once; returns its turn count after.
  static uint64_t turn(Engine &engine);

  std::atomic<uint32_t> found_{0};  // items found since a call last found the queue empty
  std::atomic<int64_t> last_look_ns_{0};
  std::atomic<uint64_t> seen_turn_{0};  // the loop's turn count when the queue was last found empty
};

}  // namespace queuednet::detail
