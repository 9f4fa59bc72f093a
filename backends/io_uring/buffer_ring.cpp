// Internal. BufferRing: see buffer_ring.h.
#include "backends/io_uring/buffer_ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace queuednet::detail {

BufferRing::~BufferRing() {
  if (ring_ != nullptr) ::munmap(ring_, mapped_bytes());
}

bool BufferRing::init(io_uring &ring, std::string *error) {
  void *mem = ::mmap(nullptr, mapped_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    *error = std::string("mmap: ") + std::strerror(errno);
    return false;
  }
  ring_ = static_cast<io_uring_buf_ring *>(mem);
  buffers_ = static_cast<unsigned char *>(mem) + kCount * sizeof(io_uring_buf);
  io_uring_buf_ring_init(ring_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(ring_);
  reg.ring_entries = kCount;
  reg.bgid = kGroup;
  // The kernel's `flags` field, which liburing 2.3 calls `pad`: IOU_PBUF_RING_INC.
  constexpr uint16_t kIncremental = 2;
  reg.pad = kIncremental;
  int rc = io_uring_register_buf_ring(&ring, &reg, 0);
  if (rc == -EINVAL) {  // before 6.12: whole buffers
    reg.pad = 0;
    rc = io_uring_register_buf_ring(&ring, &reg, 0);
  }
  if (rc < 0) {
    *error = std::string("io_uring_register_buf_ring: ") + std::strerror(-rc);
    return false;
  }
  for (unsigned i = 0; i < kCount; ++i) {
    io_uring_buf_ring_add(ring_, data(i), kSize, static_cast<unsigned short>(i), io_uring_buf_ring_mask(kCount),
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(ring_, kCount);
  return true;
}

}  // namespace queuednet::detail
