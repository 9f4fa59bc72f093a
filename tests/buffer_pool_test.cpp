// Tests for the internal buffer storage and its trimming (src/engine/buffer_pool.h,
// byte_buffer.h, heap_trim.h): a pool reuses the blocks given back to it up to its limit, frees
// the rest, and a trim frees the largest first down to a reserve; a ByteBuffer keeps its bytes
// as it grows through malloc'd, pooled and again malloc'd storage; a trimmer trims at most once
// per interval, whichever thread looks.
#include "engine/buffer_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#include "engine/byte_buffer.h"
#include "engine/heap_trim.h"

using queuednet::detail::BufferPool;
using queuednet::detail::ByteBuffer;
using queuednet::detail::HeapTrim;

TEST(BufferPool, ReusesGivenBlocksOfTheSameClass) {
  BufferPool pool(1 << 20);
  void *a = pool.take(8192);
  void *b = pool.take(4096);
  pool.give(a, 8192);
  EXPECT_EQ(pool.kept_bytes(), 8192u);
  EXPECT_EQ(pool.take(8192), a);  // the kept block, not a new one
  EXPECT_EQ(pool.kept_bytes(), 0u);
  pool.give(b, 4096);
  void *c = pool.take(8192);  // another class: a new block
  EXPECT_NE(c, b);
  EXPECT_EQ(pool.kept_bytes(), 4096u);
  pool.give(a, 8192);
  pool.give(c, 8192);
  EXPECT_EQ(pool.kept_bytes(), 4096u + 2 * 8192u);
}

TEST(BufferPool, FreesWhatIsGivenPastItsLimit) {
  BufferPool pool(3 * 4096);
  std::vector<void *> blocks;
  for (int i = 0; i < 5; ++i) blocks.push_back(pool.take(4096));
  for (void *block : blocks) pool.give(block, 4096);
  EXPECT_EQ(pool.kept_bytes(), 3 * 4096u);  // the other two went back to malloc
  blocks.clear();
  for (int i = 0; i < 3; ++i) blocks.push_back(pool.take(4096));
  EXPECT_EQ(pool.kept_bytes(), 0u);
  for (void *block : blocks) pool.give(block, 4096);  // the pool's destructor frees them
}

TEST(BufferPool, TrimFreesWhatStayedUnusedSinceTheLastTrim) {
  BufferPool pool(1 << 24);
  void *a = pool.take(4096);
  void *b = pool.take(4096);
  void *c = pool.take(4096);
  void *large = pool.take(1 << 20);
  pool.give(a, 4096);
  pool.give(b, 4096);
  pool.give(c, 4096);
  pool.give(large, 1 << 20);
  pool.trim_unused();  // the first interval took from an empty pool: nothing stayed unused
  EXPECT_EQ(pool.kept_bytes(), 3 * 4096u + (1u << 20));

  // One 4 KiB block is taken and given back; the other two and the 1 MiB block stay unused.
  void *reused = pool.take(4096);
  pool.give(reused, 4096);
  pool.trim_unused();
  EXPECT_EQ(pool.kept_bytes(), 4096u);
  EXPECT_EQ(pool.take(4096), reused);  // the block in use is the one kept
  pool.give(reused, 4096);
  pool.trim_unused();  // used again in this interval: kept
  EXPECT_EQ(pool.kept_bytes(), 4096u);

  pool.trim_unused();  // untouched for a whole interval: it goes too
  EXPECT_EQ(pool.kept_bytes(), 0u);
}

TEST(BufferPool, PooledClassesArePowersOfTwoFrom256BTo1MiB) {
  EXPECT_FALSE(BufferPool::pooled(128));
  EXPECT_TRUE(BufferPool::pooled(256));
  EXPECT_TRUE(BufferPool::pooled(4096));
  EXPECT_FALSE(BufferPool::pooled(6144));
  EXPECT_TRUE(BufferPool::pooled(size_t{1} << 20));
  EXPECT_FALSE(BufferPool::pooled(size_t{1} << 21));
}

TEST(ByteBuffer, KeepsItsBytesAcrossEveryKindOfStorage) {
  ByteBuffer buffer;
  std::vector<unsigned char> expected;
  // 256 B .. 1 MiB (pooled) .. 4 MiB (malloc), in odd-sized appends.
  for (size_t n = 0; expected.size() < (size_t{3} << 20); n = (n * 7 + 1013) % 70001) {
    std::vector<unsigned char> chunk(n);
    for (size_t i = 0; i < n; ++i) chunk[i] = static_cast<unsigned char>(expected.size() + i);
    buffer.append(chunk.data(), chunk.size());
    expected.insert(expected.end(), chunk.begin(), chunk.end());
    ASSERT_EQ(buffer.size(), expected.size());
  }
  EXPECT_GT(buffer.capacity(), BufferPool::kMaxBytes);
  EXPECT_EQ(std::vector<unsigned char>(buffer.data(), buffer.data() + buffer.size()), expected);

  ByteBuffer front;
  buffer.take_front(100000, front);
  EXPECT_EQ(std::vector<unsigned char>(front.data(), front.data() + front.size()),
            std::vector<unsigned char>(expected.begin(), expected.begin() + 100000));
  EXPECT_EQ(std::vector<unsigned char>(buffer.data(), buffer.data() + buffer.size()),
            std::vector<unsigned char>(expected.begin() + 100000, expected.end()));
  buffer.release();
  EXPECT_EQ(buffer.capacity(), 0u);
  EXPECT_TRUE(buffer.empty());
}

namespace {
std::atomic<int> g_trims{0};
void count_trim() { g_trims.fetch_add(1); }
}  // namespace

TEST(HeapTrim, TrimsOncePerIntervalAfterTheFirstLook) {
  g_trims = 0;
  HeapTrim trim(std::chrono::seconds(10), count_trim);
  const auto t0 = HeapTrim::Clock::now();
  EXPECT_FALSE(trim.due(t0));  // starts the clock
  EXPECT_FALSE(trim.due(t0 + std::chrono::seconds(9)));
  EXPECT_TRUE(trim.due(t0 + std::chrono::seconds(10)));
  EXPECT_FALSE(trim.due(t0 + std::chrono::seconds(19)));
  EXPECT_TRUE(trim.due(t0 + std::chrono::seconds(21)));
  EXPECT_EQ(g_trims.load(), 2);
  EXPECT_EQ(trim.trims(), 2u);
}

TEST(HeapTrim, OneOfManyThreadsLookingAtOnceTrims) {
  g_trims = 0;
  HeapTrim trim(std::chrono::seconds(10), count_trim);
  const auto t0 = HeapTrim::Clock::now();
  trim.due(t0);
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { won += trim.due(t0 + std::chrono::seconds(11)) ? 1 : 0; });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(g_trims.load(), 1);
}
