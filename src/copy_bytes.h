// Internal. copy_bytes: memcpy for the small, variable sizes of game datagrams. Up to 64 bytes
// it is a few overlapping unaligned loads and stores, inline; a library memcpy call costs more
// than the copy at these sizes. Larger copies call memcpy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace queuednet::detail {

namespace copy_bytes_impl {
// Copies `n` bytes with two possibly overlapping moves of W bytes each (W <= n <= 2W).
template <size_t W>
[[gnu::always_inline]] inline void two_moves(unsigned char *dst, const unsigned char *src, size_t n) {
  unsigned char head[W], tail[W];
  std::memcpy(head, src, W);
  std::memcpy(tail, src + n - W, W);
  std::memcpy(dst, head, W);
  std::memcpy(dst + n - W, tail, W);
}
}  // namespace copy_bytes_impl

[[gnu::always_inline]] inline void copy_bytes(unsigned char *dst, const unsigned char *src, size_t n) {
  using copy_bytes_impl::two_moves;
  if (n > 64) {
    std::memcpy(dst, src, n);
  } else if (n > 32) {
    two_moves<32>(dst, src, n);
  } else if (n > 16) {
    two_moves<16>(dst, src, n);
  } else if (n >= 8) {
    two_moves<8>(dst, src, n);
  } else if (n >= 4) {
    two_moves<4>(dst, src, n);
  } else if (n > 0) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
}

}  // namespace queuednet::detail
