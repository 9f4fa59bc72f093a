// Internal. BufferRing: the provided-buffer ring (5.19) that multishot receives select their
// buffers from, so an idle connection holds no receive buffer. One mapping holds the ring's
// entries (page aligned) and then the buffers. Thread contract: the ring's thread.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <string>

namespace queuednet::detail {

class BufferRing {
 public:
  static constexpr unsigned kCount = 1024;  // power of two
  static constexpr unsigned kSize = 16384;
  static constexpr unsigned short kGroup = 1;

  BufferRing() = default;
  BufferRing(const BufferRing &) = delete;
  BufferRing &operator=(const BufferRing &) = delete;
  ~BufferRing();

  // Maps the buffers and registers them with `ring` as group kGroup. False and *error if not.
  bool init(io_uring &ring, std::string *error);
  // The bytes of buffer `bid`, as a completion names it.
  unsigned char *data(unsigned bid) const { return buffers_ + size_t{bid} * kSize; }
  // Gives buffer `bid` back to the kernel once its bytes were used.
  void recycle(unsigned bid) {
    io_uring_buf_ring_add(ring_, data(bid), kSize, static_cast<unsigned short>(bid), io_uring_buf_ring_mask(kCount), 0);
    io_uring_buf_ring_advance(ring_, 1);
  }

 private:
  static size_t mapped_bytes() { return kCount * sizeof(io_uring_buf) + kCount * size_t{kSize}; }

  io_uring_buf_ring *ring_ = nullptr;
  unsigned char *buffers_ = nullptr;
};

}  // namespace queuednet::detail
