// Tests for the internal bounded result queue (src/engine/result_queue.h): the bound is exact
// with many producers at once, and every item is popped exactly once.
#include "engine/result_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using queuednet::detail::ResultQueue;
using namespace std::chrono_literals;

TEST(ResultQueue, BoundIsExactWithConcurrentProducers) {
  constexpr int kProducers = 8, kPerProducer = 20000, kMax = 1000;
  for (int round = 0; round < 20; ++round) {
    ResultQueue<int> queue(kMax);
    std::atomic<int> accepted{0};
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        for (int i = 0; i < kPerProducer; ++i) accepted += queue.push(static_cast<uint32_t>(p), int{i}) ? 1 : 0;
      });
    }
    for (auto &t : producers) t.join();
    ASSERT_EQ(accepted.load(), kMax);
    EXPECT_EQ(queue.size(), static_cast<size_t>(kMax));
    EXPECT_EQ(queue.dropped(), static_cast<uint64_t>(kProducers * kPerProducer - kMax));
    EXPECT_TRUE(queue.overflow());
    int out, popped = 0;
    while (queue.pop(out)) ++popped;
    EXPECT_EQ(popped, kMax);
    EXPECT_EQ(queue.size(), 0u);
  }
}

// Panda3D's policy drops the newest items of a full queue; the older ones are in the queue. So
// a consumer that sees the drop counted (or the overflow flag set) must find the accepted items
// of the same push ready to pop.
TEST(ResultQueue, ItemsAcceptedWithADropArePoppableOnceTheDropIsVisible) {
  for (int round = 0; round < 2000; ++round) {
    ResultQueue<int> queue(2);
    std::thread producer([&] {
      int items[3] = {1, 2, 3};
      queue.push(0, items, 3);
    });
    // Spins (a yield would hide the window this looks for), bounded in time.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    bool seen = false;
    for (long spins = 1; !seen; ++spins) {
      seen = queue.dropped() == 1;
      if (spins % 4096 == 0 && std::chrono::steady_clock::now() > deadline) break;
    }
    // Popped before the join, which would make everything visible anyway.
    int first = 0, second = 0;
    const bool popped_first = seen && queue.pop(first);
    const bool popped_second = popped_first && queue.pop(second);
    producer.join();
    ASSERT_TRUE(seen);
    ASSERT_TRUE(popped_first) << "round " << round;
    ASSERT_TRUE(popped_second) << "round " << round;
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 2);
    EXPECT_TRUE(queue.overflow());
  }
}
