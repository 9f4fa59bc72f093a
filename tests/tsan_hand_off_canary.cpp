// TSan builds only: proves that tests/tsan.supp and the queue's hand-off annotations
// (src/engine/hand_off_queue.h) still let ThreadSanitizer see a race that happens inside an
// element's move through the queue. ctest expects this program's output to hold a data race
// report whose stack runs through moodycamel::ConcurrentQueue (a blanket
// `race:moodycamel::ConcurrentQueue` suppression would hide it).
//
// The race: one thread writes `g_unsynchronised` while another pushes an item whose move
// constructor reads it. The threads are ordered in time by a relaxed flag only, which gives no
// happens-before, so the report is deterministic.
#include <atomic>
#include <cstdio>
#include <thread>

#include "engine/result_queue.h"

// A named namespace (not an anonymous one) so its frames are symbolised with qualified names,
// as the library's own are.
namespace queuednet_canary {

int g_unsynchronised = 0;
std::atomic<bool> g_written{false};

struct CanaryItem {
  CanaryItem() = default;
  CanaryItem(CanaryItem &&other) noexcept : value(other.value + g_unsynchronised) {}
  CanaryItem &operator=(CanaryItem &&other) noexcept {
    value = other.value;
    return *this;
  }
  int value = 0;
};

}  // namespace queuednet_canary

int main() {
  using queuednet_canary::CanaryItem;
  using queuednet_canary::g_written;
  queuednet::detail::ResultQueue<CanaryItem> queue(8);
  std::thread writer([] {
    queuednet_canary::g_unsynchronised = 1;
    g_written.store(true, std::memory_order_relaxed);
  });
  std::thread producer([&queue] {
    for (long spins = 0; !g_written.load(std::memory_order_relaxed) && spins < 100'000'000; ++spins) {
      std::this_thread::yield();
    }
    queue.push(0, CanaryItem{});
  });
  writer.join();
  producer.join();
  CanaryItem out;
  const bool popped = queue.pop(out);
  std::printf("canary: popped=%d value=%d\n", popped ? 1 : 0, out.value);
  return popped ? 0 : 1;
}
