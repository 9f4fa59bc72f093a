// Internal. See held_output.h.
#include "engine/held_output.h"

#include <pthread.h>
#include <signal.h>

#include <exception>
#include <string>
#include <system_error>

#include "log.h"

namespace queuednet::detail {

bool HeldOutput::start() {
  std::lock_guard lock(mutex_);
  if (stopping_.load(std::memory_order_relaxed)) return false;
  if (!started_.load(std::memory_order_relaxed)) {
    // The writer takes no signal: the application's handlers run on its own threads.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error &e) {
      // Without the writer nothing may be held: every send is written at once.
      log(LogLevel::warning, std::string("cannot start the late writer (") + e.what() +
                                 "): polled sends are each written at once");
      stopping_.store(true, std::memory_order_relaxed);
      pending_.store(false, std::memory_order_relaxed);
    }
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    if (!thread_.joinable()) return false;
    started_.store(true, std::memory_order_release);
  }
  return true;
}

void HeldOutput::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true, std::memory_order_relaxed);
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void HeldOutput::run() {
  std::unique_lock lock(mutex_);
  auto stopped = [&] { return stopping_.load(std::memory_order_relaxed); };
  while (!stopped()) {
    // Pairs with hold(): either it sees the writer parked and wakes it, or the writer sees
    // what it held.
    parked_.store(true, std::memory_order_seq_cst);
    cv_.wait(lock, [&] { return stopped() || held(std::memory_order_seq_cst); });
    parked_.store(false, std::memory_order_relaxed);
    uint64_t seen = writes_.load(std::memory_order_relaxed);
    for (int quiet = 0; quiet < kQuietTicks;) {
      if (cv_.wait_for(lock, kTick, stopped)) return;
      const bool now_held = held(std::memory_order_relaxed);
      quiet = now_held || recent_.exchange(false, std::memory_order_relaxed) ? 0 : quiet + 1;
      // Held at the end of a tick in which the loop wrote nothing.
      if (now_held && writes_.load(std::memory_order_relaxed) == seen) {
        lock.unlock();
        writing_.store(true, std::memory_order_release);
        try {
          write_();
        } catch (const std::exception &e) {  // out of memory: the application's next call writes
          log(LogLevel::error, std::string("the late writer could not write: ") + e.what());
        }
        writing_.store(false, std::memory_order_release);
        lock.lock();
      }
      seen = writes_.load(std::memory_order_relaxed);
    }
  }
}

}  // namespace queuednet::detail
