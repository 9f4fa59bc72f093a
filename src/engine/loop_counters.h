// Internal. What one event loop counts for ManagerStatistics. The loop is the only writer, so
// an add is a plain load and store (no locked instruction); any thread may read.
#pragma once

#include <atomic>
#include <cstdint>

namespace queuednet::detail {

inline void count(std::atomic<uint64_t> &counter, uint64_t n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct LoopCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> datagrams_in{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> datagrams_out{0};
  std::atomic<uint64_t> bytes_out{0};      // accepted by writers, as the loop sees them
  std::atomic<uint64_t> bytes_settled{0};  // of those, written to the kernel or discarded
  std::atomic<uint64_t> queue_drops{0};
  std::atomic<uint64_t> oversize_frames{0};
  std::atomic<uint64_t> bad_datagrams{0};
  std::atomic<uint64_t> accept_refusals{0};
  std::atomic<uint64_t> udp_send_failures{0};
  std::atomic<uint64_t> turns{0};
  std::atomic<uint64_t> writes{0};  // stream writes and sendmmsg calls (each a system call or an SQE)
};

}  // namespace queuednet::detail
