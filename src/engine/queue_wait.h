// Internal. The wait behind QueuedConnectionReader::wait_for_data and
// QueuedConnectionListener::wait_for_connection.
#pragma once

#include <chrono>
#include <thread>

#include "engine/engine.h"
#include "engine/result_queue.h"

namespace queuednet::detail {

// Waits up to `timeout` seconds for `queue` to hold an item. Threaded engine: sleeps on the
// queue. Polled engine: turns the loop, returning after the first socket activity.
// `available` is the caller's *_available() (which polls in polled mode).
template <class T, class Available>
bool wait_for_queue(Engine &engine, ResultQueue<T> &queue, double timeout, Available available) {
  const auto start = std::chrono::steady_clock::now();
  const auto limit = std::chrono::duration<double>(timeout < 0 ? 0 : timeout);
  for (;;) {
    if (available()) return true;
    const auto left = limit - (std::chrono::steady_clock::now() - start);
    if (left <= std::chrono::duration<double>::zero()) return false;
    if (!engine.polled()) return queue.wait(std::chrono::duration_cast<std::chrono::nanoseconds>(left));
    const int activity = engine.poll(static_cast<int>(std::chrono::duration<double, std::milli>(left).count()) + 1);
    if (activity > 0) return available();     // e.g. a new connection: let the caller see it
    if (activity < 0) std::this_thread::yield();  // another thread is turning the loop
  }
}

}  // namespace queuednet::detail
