/// @file
/// Public header. QueuedConnectionReader: a ConnectionReader whose datagrams wait in a bounded
/// lock-free queue (Panda3D's QueuedConnectionReader).
///
/// Thread safety: any number of threads may call data_available()/get_data() at once; each
/// datagram reaches exactly one caller, none is lost or duplicated, and one caller sees each
/// connection's datagrams in the order they were sent.
///
/// queuednet: get_data() takes up to 16 datagrams from the shared queue at once into the
/// reader's front and hands them out one per call, to whichever thread calls (fewer atomic
/// operations per datagram); the front counts as queued for every method here.
#pragma once

#include <cstddef>
#include <span>

#include "queuednet/connection_reader.h"
#include "queuednet/datagram.h"
#include "queuednet/net_datagram.h"

namespace queuednet {

namespace detail {
struct QueuedDatagram;
}

class QueuedConnectionReader : public ConnectionReader {
 public:
  QueuedConnectionReader(ConnectionManager *manager, int num_threads);
  ~QueuedConnectionReader() override;

  /// True if a datagram is queued. Returns at once, with no system call, when one is; otherwise
  /// in polled mode it first polls (writes what send() queued, reads what is ready, never
  /// blocking), unless the loop polled since this queue was last found empty, under 1 ms ago
  /// (or this queue's drain took its first datagram, or its latest 16th, under 1 ms ago): then
  /// it only writes what send() queued and returns false, and the next call polls. So the
  /// manual's loop (new_connection_available(), reset_connection_available(), a
  /// `while (data_available())` drain) polls once per iteration, not once per call. Any thread.
  bool data_available();
  /// queuednet: waits up to `timeout` seconds for a datagram to be queued; true if one is.
  /// Threaded mode: sleeps until a worker queues one (for consumer threads; no busy-wait).
  /// Polled mode: turns the loop on the caller's thread while it waits, and returns early
  /// (possibly false) after any socket activity, so the caller can also serve its listener;
  /// with no time left it is data_available().
  /// When the manager is destroyed during the wait, returns as soon as the manager has closed
  /// its connections (false, unless datagrams are still queued). Any thread.
  bool wait_for_data(double timeout);
  /// Pops the oldest datagram with its connection and sender address; false (result untouched)
  /// when the queue is empty. Reuses the result's buffer: a datagram of up to 80 bytes (64 for
  /// UDP over IPv4) costs no allocation. Any thread.
  bool get_data(NetDatagram &result);
  /// Same, bytes only. Any thread.
  bool get_data(Datagram &result);
  /// queuednet: takes up to out.size() datagrams at once into out[0], out[1], ..., each filled
  /// as get_data(NetDatagram &) fills one (reusing its buffer); returns how many, 0 when the
  /// queue is empty. Calls of every get_data() may be mixed: each datagram is taken once, in
  /// order. Any thread.
  size_t get_data(std::span<NetDatagram> out);

  /// Bound of the queue (default 50000, Panda3D's net-max-response-queue). When full the newest
  /// datagram is dropped, counted, and the overflow flag set.
  void set_max_queue_size(int max_size);
  int get_max_queue_size() const;
  /// Datagrams queued. Any thread.
  int get_current_queue_size() const;
  bool get_overflow_flag() const;
  void reset_overflow_flag();
  /// queuednet: datagrams dropped because the queue was full.
  uint64_t get_num_dropped() const;

  /// queuednet: a descriptor for a foreign event loop (epoll, poll, select, Python's selectors
  /// or asyncio's add_reader) to wait on. Level-triggered: readable while a datagram is queued
  /// and until a call finds the queue empty. After it fires, call data_available() and
  /// get_data() until one returns false. It may fire once with nothing left to take (the loop
  /// announces a turn's datagrams at the turn's end, and a consumer may have taken them
  /// already): the call that finds nothing clears it.
  /// - With workers: an eventfd, made readable when the queue goes from empty to not empty.
  /// - Polled mode: an epoll set that is also readable on socket activity and when the loop has
  ///   timers due (close timeouts, fault-injection delays) or work in hand, so the application's
  ///   loop may sleep on it alone: data_available() turns the loop and handles what fired it,
  ///   which may be work for the manager's other objects (a call that does not poll, as
  ///   data_available() says, leaves the descriptor readable, and the next call polls). The first call starts
  ///   the manager, fixing its thread count as a first poll does. The poll backend has nothing
  ///   to watch: -1 then, with last_error() std::errc::operation_not_supported.
  /// Readable once at first (whatever was queued before is not missed), and when the manager
  /// shuts down (stop watching it then). Made on the first call (until then the queue costs
  /// nothing more), the same descriptor afterwards; the reader keeps it and closes it when
  /// destroyed. -1 and last_error() when it cannot be made. Any thread; do not read or close it.
  int get_readiness_fd();

 private:
  template <class Use>
  bool take(Use use);
  static void fill(Datagram &result, detail::QueuedDatagram &item);
};

}  // namespace queuednet
