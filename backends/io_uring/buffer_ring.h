// Internal. BufferRing: the provided-buffer ring (5.19) that multishot receives select their
// buffers from, so an idle connection holds no receive buffer. One mapping holds the ring's
// entries (page aligned) and then the buffers. Where the kernel allows it (6.12), buffers are
// consumed incrementally: each receive takes only the bytes it needs from the head buffer, so
// small receives from many sockets share one buffer, and a buffer is out of the ring only
// between being used up and its completion being handled. The ring then holds kIncrementalCount
// buffers (4 MiB, all of which a long-running loop touches); otherwise kCount, each receive
// taking a whole one (up to 16 MiB touched by large receives, the first page of each by small
// ones). Thread contract: the ring's thread.
#pragma once

#include <liburing.h>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>

namespace queuednet::detail {

class BufferRing {
 public:
  static constexpr unsigned kCount = 1024;           // powers of two
  static constexpr unsigned kIncrementalCount = 256;
  static constexpr unsigned kSize = 16384;
  static constexpr unsigned short kGroup = 1;

  BufferRing() = default;
  BufferRing(const BufferRing &) = delete;
  BufferRing &operator=(const BufferRing &) = delete;
  ~BufferRing();

  // Maps the buffers and registers them with `ring` as group kGroup. False and *error if not.
  bool init(io_uring &ring, std::string *error);
  // A completion's flag: the buffer it used has room left, and later receives go on filling
  // it (incremental consumption; IORING_CQE_F_BUF_MORE, which liburing 2.3 does not name).
  static constexpr unsigned kCqeBufMore = 1U << 4;

  // The `n` bytes a completion received into buffer `bid`: where the previous pieces of that
  // buffer ended (its start, without incremental consumption).
  unsigned char *consume(unsigned bid, size_t n) {
    assert(used_[bid] + n <= kSize);
    unsigned char *piece = data(bid) + used_[bid];
    used_[bid] += static_cast<uint32_t>(n);
    return piece;
  }
  // Gives buffer `bid` back to the kernel once its bytes were used: after every completion
  // that names it, or, with incremental consumption, after the one without kCqeBufMore.
  void recycle(unsigned bid) {
    used_[bid] = 0;
    io_uring_buf_ring_add(ring_, data(bid), kSize, static_cast<unsigned short>(bid), io_uring_buf_ring_mask(count_), 0);
    io_uring_buf_ring_advance(ring_, 1);
  }

 private:
  static size_t mapped_bytes() { return kCount * sizeof(io_uring_buf) + kCount * size_t{kSize}; }

  unsigned char *data(unsigned bid) const { return buffers_ + size_t{bid} * kSize; }

  io_uring_buf_ring *ring_ = nullptr;
  unsigned char *buffers_ = nullptr;
  unsigned count_ = kCount;  // buffers registered
  uint32_t used_[kCount] = {};  // bytes of each buffer received so far
};

}  // namespace queuednet::detail
