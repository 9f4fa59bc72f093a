// Internal. See drain_mark.h.
#include "engine/drain_mark.h"

#include <algorithm>

#include "engine/engine.h"

namespace queuednet::detail {

bool DrainMark::skips_turn(Engine &engine) {
  if (!engine.polled()) {
    engine.application_idle();
    return true;
  }
  const uint64_t turn = engine.polled_turns();
  const bool drained = found_.load(std::memory_order_relaxed) != 0 && found_.exchange(0, std::memory_order_relaxed) != 0;
  const int64_t latest = std::max(engine.polled_last_turn_ns(), drained ? last_look_ns_.load(std::memory_order_relaxed) : 0);
  if (seen_turn_.load(std::memory_order_relaxed) == turn || steady_now_ns() - latest >= kDrainGap.count()) {
    return false;
  }
  seen_turn_.store(turn, std::memory_order_relaxed);
  engine.application_idle();
  return true;
}

uint64_t DrainMark::turn(Engine &engine) {
  engine.poll(0);
  return engine.polled_turns();
}

}  // namespace queuednet::detail
