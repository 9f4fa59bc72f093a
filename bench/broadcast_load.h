// queuednet-broadcast-load: the options, the state its main thread and its workers share, and
// the worker (broadcast_load_worker.cpp). The main thread connects every client, starts one
// worker per load thread and sequences the run: joins, then sending, then waiting for the last
// deliveries, then listening a while longer for datagrams that should not come.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace broadcast {

struct Options {
  std::string host = "127.0.0.1";
  int port = -1;
  uint32_t clients = 1000;
  uint32_t room_size = 100;  // rooms are consecutive client ids; the last may be smaller
  double rate = 1;           // data datagrams per second per client
  uint32_t size = 32;        // data datagram bytes
  double duration = 5;       // seconds of sending
  int threads = 1;
};

constexpr double kDrainSeconds = 10;  // the bound on the wait for deliveries after sending stops
// How long every client keeps reading once all clients have every delivery: a datagram that
// comes then (a duplicate, or more than its sender sent) fails the run.
constexpr double kQuietSeconds = 0.3;

// Shared by the main thread and the workers.
struct Run {
  explicit Run(const Options &o) : options(o), sent(o.clients, 0) {}

  const Options &options;
  int workers = 1;
  std::atomic<bool> abort{false};
  std::atomic<uint64_t> acked{0};  // join acks received, every worker
  // Set by the main thread before `go` (release): every client sends at
  // send_start_ns + (k + id / clients) / rate for k = 0, 1, ... while before send_end_ns.
  int64_t send_start_ns = 0, send_end_ns = 0;
  std::atomic<bool> go{false};
  // Data datagrams each client sent; written by its worker before it counts itself in
  // `finished_sending` (release), read by any worker once that count is `workers` (acquire).
  std::vector<uint32_t> sent;
  std::atomic<int> finished_sending{0};
  std::atomic<int> finished_delivering{0};  // workers whose clients have every delivery

  // Records the first failure and stops every worker.
  void fail(const std::string &why) {
    {
      std::lock_guard lock(failure_mutex);
      if (failure.empty()) failure = why;
    }
    abort.store(true);
  }
  std::string first_failure() {
    std::lock_guard lock(failure_mutex);
    return failure;
  }

 private:
  std::mutex failure_mutex;
  std::string failure;
};

constexpr size_t kLatencyBuckets = 1000001;  // one per microsecond up to 1 s, the last for more

// One worker's figures, read by the main thread after the worker has finished.
struct WorkerResult {
  uint64_t sent = 0, delivered = 0, expected = 0;
  std::vector<uint32_t> latency_us = std::vector<uint32_t>(kLatencyBuckets, 0);
  int64_t last_delivery_ns = 0;
};

// Drives the clients `ids` (connected sockets `fds`, non-blocking) through the run; returns
// kQuietSeconds after every worker's clients have every delivery, or on a failure (recorded in
// `run`) or an abort.
void run_worker(Run &run, const std::vector<uint32_t> &ids, const std::vector<int> &fds, WorkerResult &result);

}  // namespace broadcast
