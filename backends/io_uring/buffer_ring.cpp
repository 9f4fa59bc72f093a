// Internal. BufferRing: see buffer_ring.h.
#include "backends/io_uring/buffer_ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace queuednet::detail {
namespace {

// IOU_PBUF_RING_INC (6.12), in the registration's flags: liburing 2.3 names that field `pad`,
// later versions `flags`.
constexpr uint16_t kIncremental = 2;
template <class Registration>
void set_flags(Registration &reg, uint16_t flags) {
  if constexpr (requires { reg.flags; }) {
    reg.flags = flags;
  } else {
    reg.pad = flags;
  }
}

}  // namespace

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
  reg.bgid = kGroup;
  reg.ring_entries = count_ = kIncrementalCount;
  set_flags(reg, kIncremental);
  int rc = io_uring_register_buf_ring(&ring, &reg, 0);
  if (rc == -EINVAL) {  // before 6.12: whole buffers
    reg.ring_entries = count_ = kCount;
    set_flags(reg, 0);
    rc = io_uring_register_buf_ring(&ring, &reg, 0);
  }
  if (rc < 0) {
    *error = std::string("io_uring_register_buf_ring: ") + std::strerror(-rc);
    return false;
  }
  for (unsigned i = 0; i < count_; ++i) {
    io_uring_buf_ring_add(ring_, data(i), kSize, static_cast<unsigned short>(i), io_uring_buf_ring_mask(count_),
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(ring_, static_cast<int>(count_));
  return true;
}

}  // namespace queuednet::detail
