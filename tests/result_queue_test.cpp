// Tests for the internal bounded result queue (src/engine/result_queue.h): the bound is exact
// with many producers at once, and every item is popped exactly once.
#include "engine/result_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using queuednet::detail::ResultQueue;

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
