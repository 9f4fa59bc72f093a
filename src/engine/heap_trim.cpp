// Internal. HeapTrim: see heap_trim.h.
#include "engine/heap_trim.h"

#include <algorithm>
#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "engine/buffer_pool.h"

namespace queuednet::detail {
namespace {

HeapTrim::Clock::duration interval_from_environment() {
  constexpr double kDefaultSeconds = 10;
  double seconds = kDefaultSeconds;
  if (const char *env = std::getenv("QUEUEDNET_HEAP_TRIM"); env != nullptr && *env != '\0') {
    char *end = nullptr;
    const double v = std::strtod(env, &end);
    if (end != env && *end == '\0' && v >= 0) seconds = v;  // else the default
  }
  // 0 turns it off; anything else lies between a millisecond and a day.
  if (seconds > 0) seconds = std::clamp(seconds, 0.001, 86400.0);
  return std::chrono::duration_cast<HeapTrim::Clock::duration>(std::chrono::duration<double>(seconds));
}

void trim_process_heap() {
  BufferPool::global().trim_unused();
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

}  // namespace

HeapTrim &HeapTrim::global() {
  static HeapTrim *trim = new HeapTrim(interval_from_environment(), trim_process_heap);
  return *trim;
}

bool HeapTrim::due(Clock::time_point now) {
  const int64_t now_ns = std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
  const int64_t interval_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(interval_).count();
  int64_t last = last_ns_.load(std::memory_order_relaxed);
  if (last != 0 && now_ns - last < interval_ns) return false;
  // One loop wins the look; a first look only starts the clock.
  if (!last_ns_.compare_exchange_strong(last, now_ns, std::memory_order_relaxed) || last == 0) return false;
  trim_();
  trims_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace queuednet::detail
