// queuednet-churn-load's worker: one thread, one epoll instance, a fixed number of connection
// slots. Each slot connects, exchanges a few datagrams of random sizes with the echo server
// (2-byte little-endian length frames), verifies every echo and that nothing follows the last
// one, leaves in the next of three ways (close, half-close, reset mid-frame) and connects
// again, until the churn stops.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "load_common.h"

namespace churn {

using load::Clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = -1;
  int connections = 5000;  // slots, over all threads
  double duration = 10;    // seconds of churn
  int threads = 1;
  double timeout = 10;  // seconds an echo, a connect or the server's close may take
  double report = 0;    // seconds between "churn:" lines; 0: none
  uint64_t seed = 1;
};

// Each connection sends 1..kMaxDatagrams datagrams of 1..kMaxSize bytes, at most kWindow of them
// waiting for their echo at a time.
constexpr uint32_t kMaxDatagrams = 20;
constexpr uint32_t kMaxSize = 2000;
constexpr size_t kWindow = 4;

// One worker's counters. Written by that worker only (a plain load and store, no locked
// instruction), read by the report line.
struct Counters {
  std::atomic<uint64_t> opened{0};       // connections established
  std::atomic<uint64_t> open{0};         // established and not yet left, now
  std::atomic<uint64_t> closed{0};       // left with close() after the last echo
  std::atomic<uint64_t> half_closed{0};  // left with shutdown(SHUT_WR), then read to the server's EOF
  std::atomic<uint64_t> reset{0};        // left with half a frame and an RST
  std::atomic<uint64_t> sent{0};         // datagrams
  std::atomic<uint64_t> echoed{0};       // echoes verified byte for byte, in order
  std::atomic<uint64_t> failures{0};     // connections that failed

  static void add(std::atomic<uint64_t> &counter, int64_t delta) {
    counter.store(counter.load(std::memory_order_relaxed) + static_cast<uint64_t>(delta), std::memory_order_relaxed);
  }
};

// Runs `slots` connection slots to `server` until `churn_until` or `stop`, then lets every
// connection finish its exchange and close (at most o.timeout later). Failures are counted, and
// the first few described on stderr.
void run_worker(const Options &o, const sockaddr_in &server, int slots, uint32_t index, Clock::time_point churn_until,
                const std::atomic<bool> &stop, Counters &counters);

}  // namespace churn
