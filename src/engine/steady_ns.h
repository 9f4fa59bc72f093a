// Internal. The steady clock as nanoseconds in an int64_t, for timestamps kept in atomics.
// Thread contract: any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace queuednet::detail {

inline int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace queuednet::detail
