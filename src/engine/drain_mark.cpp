// Internal. See drain_mark.h.
#include "engine/drain_mark.h"

#include "engine/engine.h"

namespace queuednet::detail {

void DrainMark::look_for_more(Engine &engine) {
  if (!engine.polled()) {
    engine.application_idle();
    return;
  }
  const bool ends_drain = found_.load(std::memory_order_relaxed) != 0 &&
                          found_.exchange(0, std::memory_order_relaxed) != 0 &&
                          steady_now_ns() - last_look_ns_.load(std::memory_order_relaxed) < kDrainGap.count();
  if (ends_drain) {
    engine.application_idle();
  } else {
    engine.poll(0);
  }
}

}  // namespace queuednet::detail
