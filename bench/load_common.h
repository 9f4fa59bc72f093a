// What queuednet-echo-load's TCP and UDP workers share: the options, the payload pattern and
// the per-worker statistics (counters readable by the progress line while the worker runs).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace load {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = -1;
  bool udp = false;
  int connections = 100;  // TCP connections, or UDP sockets
  int window = 1;         // datagrams in flight per connection
  int size = 32;          // payload bytes
  int header = 2;         // TCP length header
  double duration = 5;
  long count = 0;  // per connection; 0: use duration
  int threads = 1;
  double loss_timeout = 0.5;  // UDP: an echo not back after this long is lost
};

// Payload byte i of datagram `seq` on connection `conn`: cheap, deterministic, position-dependent.
inline unsigned char payload_byte(uint32_t conn, uint64_t seq, size_t i) {
  return static_cast<unsigned char>((conn * 131u) ^ (seq * 7919u) ^ (i * 31u) ^ (i >> 8));
}

// Counters are written by one worker and read by the progress line; the histogram is read only
// after the worker has finished.
struct Stats {
  std::atomic<uint64_t> sent{0}, received{0}, lost{0}, late{0}, mismatches{0}, failed_connections{0};
  std::vector<uint32_t> histogram = std::vector<uint32_t>(1000001, 0);  // microseconds, last = overflow
  Clock::time_point last_echo{};

  static void bump(std::atomic<uint64_t> &counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void record_echo(Clock::time_point sent_at, Clock::time_point now) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at).count();
    ++histogram[std::min<size_t>(static_cast<size_t>(us), histogram.size() - 1)];
    bump(received);
    last_echo = now;
  }
};

// The value below which a fraction `q` of the `total` samples of histogram `h` lie (its bucket
// index; the last bucket when they fall in the overflow).
inline uint64_t percentile(const std::vector<uint32_t> &h, uint64_t total, double q) {
  const uint64_t target = static_cast<uint64_t>(q * static_cast<double>(total));
  uint64_t seen = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    seen += h[i];
    if (seen > target) return i;
  }
  return h.size() - 1;
}

// The sockets one worker thread drives: (connection id, fd).
using Sockets = std::vector<std::pair<uint32_t, int>>;

}  // namespace load
