// Internal. The rules a connection's output follows, in one place (users read them in
// connection_writer.h and connection.h):
//  - Admission: a send is refused while the connection is closed or condemned, or, unless it
//    blocks, while what it has queued has reached the writer's high-water mark; a send that
//    would take the queue past the hard limit condemns the connection as a slow consumer (the
//    loop closes it at once, discarding its output).
//  - collect-tcp: a send made within the collect interval of the connection's last flush is
//    held (it waits for a flush, a send after the interval, or the close); the loop takes only
//    the bytes before the held tail.
//  - When to write (the write rule): polled, a send made while datagrams wait to be read, to a
//    connection already marked for writing, waits for the end of the drain, unless the
//    connection already holds kEagerFlushBytes or the drain's sends reached kDrainHeldBytes
//    (then every marked connection is written); with nothing waiting, a send to a connection
//    already marked (holding under kJoinBytes), and a later send of a burst, wait for the
//    application's next call or the late writer (held_output.h); every other send is written
//    before it returns (or, with workers, at the end of the worker's turn).
//  - Output pressure: the loop stops reading a stream whose queued output reached the mark of
//    the writer that last sent to it, and reads it again once that is down to half the mark.
// Thread contract: the functions are pure; CollectTcp lives under the connection's output_lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace queuednet::detail {

// The writer's default high-water mark and hard limit (ConnectionWriter's defaults).
inline constexpr size_t kDefaultOutputHighWater = 4u << 20;
inline constexpr size_t kDefaultOutputHardLimit = 64u << 20;
// A pending output this large is written even in the middle of a long drain.
inline constexpr size_t kEagerFlushBytes = 256u << 10;
// A send made while nothing waits to be read joins its connection's output that waits for the
// loop's next write only while that output is smaller than this: a large output is written at
// once (holding it measured 13% more CPU per message with 60,000-byte datagrams).
inline constexpr size_t kJoinBytes = 64u << 10;
// What a drain's sends may hold, over all connections, before every marked connection is
// written. A server behind its clients may never see its reader queue empty: its drain never
// ends, and each of its turns (up to thousands of connections' datagrams) would hold all their
// answers at once.
inline constexpr size_t kDrainHeldBytes = 256u << 10;

enum class Admission { ok, closed, full, slow_consumer };

struct OutputLimits {
  size_t high_water;
  size_t hard_limit;
  bool block;  // wait for room instead of refusing at the high-water mark
};

// Whether `bytes` more may be queued behind `queued` on a connection that is `open` (not
// closed, closing or condemned).
inline Admission admit_output(bool open, size_t queued, size_t bytes, const OutputLimits &limits) {
  if (!open) return Admission::closed;
  if (!limits.block && queued >= limits.high_water) return Admission::full;
  if (queued + bytes > limits.hard_limit) return Admission::slow_consumer;
  return Admission::ok;
}

// The write rule's one case that waits: polled, mid-drain, already marked, not large, and the
// drain's sends (`drain_held` bytes since the loop last wrote) under their bound.
inline bool write_waits_for_drain(bool need_sync, int64_t waiting_datagrams, size_t queued, size_t drain_held) {
  return !need_sync && waiting_datagrams > 0 && queued < kEagerFlushBytes && drain_held < kDrainHeldBytes;
}
// Whether a drain's sends, `drain_held` bytes since the loop last wrote, are written now.
inline bool drain_holds_enough(size_t drain_held) { return drain_held >= kDrainHeldBytes; }

// Output pressure on a stream: stop reading at the mark (a mark of 0: any output), resume at half.
inline bool output_pressure_begins(size_t queued, size_t mark) { return queued > 0 && queued >= mark; }
inline bool output_pressure_ends(size_t queued, size_t mark) { return queued <= mark / 2; }

// A connection's collect-tcp setting and the tail of its pending bytes that waits for a flush.
struct CollectTcp {
  using TimePoint = std::chrono::steady_clock::time_point;

  bool on = false;
  double interval = 0.2;  // seconds
  TimePoint last_flush{};
  size_t held = 0;  // bytes at the end of the pending output that wait

  // Whether a send at `now` stays held: the interval since the last flush has not passed (a
  // connection that never flushed holds nothing).
  bool holds(TimePoint now) const {
    return on && last_flush != TimePoint{} && now >= last_flush &&
           now - last_flush < std::chrono::duration<double>(interval);
  }
  // A send of `bytes` was appended: returns whether it is held. A send that goes releases
  // what was held before it and restarts the interval.
  bool on_send(size_t bytes) {
    if (!on) return false;
    const TimePoint now = std::chrono::steady_clock::now();
    const bool hold = holds(now);
    if (!hold) last_flush = now;
    held = hold ? held + bytes : 0;
    return hold;
  }
  // flush(): everything pending goes; the interval restarts.
  void on_flush() {
    if (on) last_flush = std::chrono::steady_clock::now();
    held = 0;
  }
  // What of `pending` bytes the loop may take now (all of it once the connection closes).
  size_t ready(size_t pending, bool closing) const { return closing ? pending : pending - held; }
};

}  // namespace queuednet::detail
