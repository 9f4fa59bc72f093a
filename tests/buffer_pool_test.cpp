// Tests for the internal buffer storage (src/engine/buffer_pool.h, byte_buffer.h): a pool
// reuses the blocks given back to it up to its limit and frees the rest; a ByteBuffer keeps its
// bytes as it grows through malloc'd, pooled and again malloc'd storage.
#include "engine/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "engine/byte_buffer.h"

using queuednet::detail::BufferPool;
using queuednet::detail::ByteBuffer;

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
  for (int i = 0; i < 3; ++i) pool.take(4096);
  EXPECT_EQ(pool.kept_bytes(), 0u);
}

TEST(BufferPool, PooledClassesArePowersOfTwoFrom4KiBTo1MiB) {
  EXPECT_FALSE(BufferPool::pooled(2048));
  EXPECT_TRUE(BufferPool::pooled(4096));
  EXPECT_FALSE(BufferPool::pooled(6144));
  EXPECT_TRUE(BufferPool::pooled(size_t{1} << 20));
  EXPECT_FALSE(BufferPool::pooled(size_t{1} << 21));
}

TEST(ByteBuffer, KeepsItsBytesAcrossEveryKindOfStorage) {
  ByteBuffer buffer;
  std::vector<unsigned char> expected;
  // 256 B (malloc) .. 1 MiB (pooled) .. 4 MiB (malloc again), in odd-sized appends.
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
