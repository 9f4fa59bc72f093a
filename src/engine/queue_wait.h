// Internal. The waits behind QueuedConnectionReader::wait_for_data,
// QueuedConnectionListener::wait_for_connection and ConnectionManager::wait_for_readers.
#pragma once

#include <algorithm>
#include <chrono>

#include "engine/engine.h"
#include "engine/result_queue.h"

namespace queuednet::detail {

// A wait of `seconds` (negative: none; huge values are capped at a year) as a deadline.
inline std::chrono::steady_clock::time_point deadline_after(double seconds) {
  const double capped = std::clamp(seconds, 0.0, 365.0 * 24 * 3600);
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(capped));
}

// Milliseconds left until `deadline`, rounded up, capped to an int.
inline int millis_until(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1LL << 30));
}

// Waits until `deadline` for `queue` to hold an item. Threaded engine: sleeps on the queue.
// Polled engine: turns the loop on the caller's thread, returning after the first socket
// activity; when another thread is turning it, sleeps until that turn ends (no spinning).
// `available` is the caller's *_available() (which polls in polled mode); `ready` says,
// without polling, whether an item is there (by default: the queue is not empty).
template <class T, class Available>
bool wait_for_queue(Engine &engine, ResultQueue<T> &queue, double timeout, Available available) {
  return wait_for_queue(engine, queue, timeout, available, [&queue] { return !queue.empty(); });
}
template <class T, class Available, class Ready>
bool wait_for_queue(Engine &engine, ResultQueue<T> &queue, double timeout, Available available, Ready ready) {
  const auto deadline = deadline_after(timeout);
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    // Polled with time left, the blocking turn below returns at once when anything is ready:
    // a non-blocking turn before it would only add a system call.
    const bool turn_below = engine.polled() && now < deadline;
    if (turn_below ? ready() : available()) return true;
    if (engine.is_shut_down() || now >= deadline) return false;
    if (!engine.polled()) return queue.wait(deadline - now, ready);
    const int activity = engine.poll(millis_until(deadline));
    if (activity > 0) return available();  // e.g. a new connection: let the caller see it
    if (activity < 0) engine.wait_for_turn(deadline - now);
  }
}

}  // namespace queuednet::detail
