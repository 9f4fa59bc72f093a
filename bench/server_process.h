// The process side of the servers in bench/: set up at start (SIGINT and SIGTERM set a stop
// flag that the serving threads poll, SIGPIPE is ignored, the open-file limit is raised) and,
// where the serving runs on threads of its own, the main thread's wait for the stop or for the
// end of --duration.
#pragma once

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include "fd_limit.h"

namespace bench {

inline std::atomic<bool> g_stop{false};

inline void prepare_server_process() {
  const auto on_signal = [](int) { g_stop.store(true); };
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
}

// Returns once g_stop is set or `duration` seconds (0: no limit) have passed, with g_stop set.
inline void wait_for_stop(double duration) {
  const auto start = std::chrono::steady_clock::now();
  while (!g_stop.load()) {
    const std::chrono::duration<double> ran = std::chrono::steady_clock::now() - start;
    if (duration > 0 && ran.count() >= duration) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  g_stop.store(true);
}

}  // namespace bench
