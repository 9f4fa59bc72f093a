// Internal. ReaderFront: how get_data() takes datagrams from a reader's queue, in two modes.
//
// Taking datagrams one by one from the moodycamel queue costs several atomic read-modify-
// writes each (the queue's own two, the pop count, the connection's InputAccount, the polled
// wait count). So while one thread consumes (batching), the front takes up to kCapacity with
// one bulk dequeue and hands them out one per call under its lock, settling the counts once
// per batch or per run of one connection's datagrams:
//  - the connection's InputAccount::consumed grows when the last datagram of a run is taken
//    (the next one in the front is another connection's, or none is left): it is exact
//    whenever the application has taken a run, and behind by less than a run otherwise;
//  - polled mode's waiting count (the write rule's "nothing is waiting to be read") goes down
//    by the batch when its last datagram is taken: until then the rest still wait.
// When a second thread finds the lock taken, the front turns shared: what it holds is handed
// out, then every caller takes one datagram at a time straight from the lock-free queue
// (several consumers then do not queue up behind one lock). Every kRetryBatching direct takes
// of a thread it tries batching again; another consumer still there turns it shared again at
// once. A direct take writes nothing the front's holder reads under its lock; it shares only
// the queue, the connection's InputAccount and the counts with the other consumers.
//
// Each datagram reaches one caller, and one caller sees each connection's datagrams in order:
// the front hands out the oldest datagrams, and no caller takes one straight from the queue
// while the front holds any or is being refilled. That exclusion is two handshakes on
// sequentially consistent atomics: a refill announces itself (refilling_) and then looks for
// direct takers (direct_, one counter shard per thread), a direct taker announces itself and
// then looks for a refill or a
// front that is not empty; at least one of the two sees the other, and a refill that sees a
// direct taker takes a single datagram and hands it out at once, leaving the front empty.
// Thread contract: any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "engine/connection_core.h"
#include "engine/queued_datagram.h"
#include "engine/result_queue.h"
#include "engine/sharded_counter.h"
#include "engine/spin_lock.h"

namespace queuednet::detail {

class ReaderFront {
 public:
  static constexpr size_t kCapacity = 16;
  static constexpr uint32_t kRetryBatching = 4096;

  // Datagrams in the front (a hint under concurrency; 1 while it refills). Any thread.
  size_t size() const { return available_.load(std::memory_order_seq_cst); }

  // Takes the next datagram and calls `use(item)` to move out what the caller keeps. False
  // when there is none. `waiting` is the polled engine's wait count (nullptr with workers).
  // `below_low_water` says whether a paused connection with that InputAccount::outstanding()
  // may be read again; such a connection is left in `*resume` for the caller to sync, outside
  // any lock.
  template <class BelowLowWater, class Use>
  bool take(ResultQueue<QueuedDatagram> &queue, std::atomic<int64_t> *waiting, BelowLowWater below_low_water,
            ConnectionRef *resume, Use use) {
    if (shared_.load(std::memory_order_acquire)) {
      bool taken = false;
      if (take_direct(queue, waiting, below_low_water, resume, use, &taken)) return taken;
    }
    ConnectionRef drop;  // what the caller left of the connection, let go after the lock
    std::unique_lock lock(lock_, std::try_to_lock);
    if (!lock.owns_lock()) {
      shared_.store(true, std::memory_order_release);  // another consumer is in the front
      lock.lock();
    }
    if (next_ == count_) {
      next_ = 0;
      // Counted as held before the queue gives them up: has_data() sees them in one or the
      // other throughout, so a wait that looks meanwhile does not sleep past them.
      available_.store(1, std::memory_order_seq_cst);
      refilling_.store(true, std::memory_order_seq_cst);
      const bool alone = !shared_.load(std::memory_order_seq_cst) && direct_.sum(std::memory_order_seq_cst) == 0;
      count_ = static_cast<uint32_t>(queue.pop_bulk(items_.data(), alone ? kCapacity : 1));
      available_.store(count_, std::memory_order_seq_cst);
      refilling_.store(false, std::memory_order_release);
      if (count_ == 0) return false;
    }
    QueuedDatagram &item = items_[next_++];
    run_units_ += InputAccount::unit(item.size);
    if (next_ == count_ || items_[next_].connection != item.connection) {
      settle(item.connection, run_units_, below_low_water, resume);
      run_units_ = 0;
    }
    if (next_ == count_ && waiting != nullptr) waiting->fetch_sub(count_, std::memory_order_relaxed);
    available_.store(count_ - next_, std::memory_order_release);
    use(item);
    drop = std::move(item.connection);
    return true;
  }

 private:
  // Shared mode: one datagram straight from the queue, unless the front holds some or is
  // being refilled (then false: take it from the front). *taken: whether one was taken.
  template <class BelowLowWater, class Use>
  bool take_direct(ResultQueue<QueuedDatagram> &queue, std::atomic<int64_t> *waiting, BelowLowWater below_low_water,
                   ConnectionRef *resume, Use &use, bool *taken) {
    direct_.add(1, std::memory_order_seq_cst);
    if (!shared_.load(std::memory_order_seq_cst) || refilling_.load(std::memory_order_seq_cst) ||
        available_.load(std::memory_order_seq_cst) != 0) {
      direct_.add(-1, std::memory_order_release);
      return false;
    }
    QueuedDatagram item;
    *taken = queue.pop_bulk(&item, 1) == 1;
    direct_.add(-1, std::memory_order_release);
    if (!*taken) return true;
    thread_local uint32_t direct_takes = 0;
    if (++direct_takes % kRetryBatching == 0) shared_.store(false, std::memory_order_release);
    settle(item.connection, InputAccount::unit(item.size), below_low_water, resume);
    if (waiting != nullptr) waiting->fetch_sub(1, std::memory_order_relaxed);
    use(item);
    return true;
  }

  // Adds `units` to what the application took of `c`'s input.
  template <class BelowLowWater>
  static void settle(const ConnectionRef &c, uint64_t units, BelowLowWater below_low_water, ConnectionRef *resume) {
    ConnectionCore &core = *c;
    core.input.consumed.fetch_add(units, std::memory_order_seq_cst);
    // Back under half the budget: the loop may read the connection again.
    if (core.input.paused.load(std::memory_order_seq_cst) && below_low_water(core.input.outstanding()) &&
        core.input.paused.exchange(false)) {
      *resume = c;
    }
  }

  SpinLock lock_;  // the items and the run; contended only until the front turns shared
  uint32_t next_ = 0, count_ = 0;
  uint64_t run_units_ = 0;  // taken from the current run, not yet added to its connection
  std::array<QueuedDatagram, kCapacity> items_;

  std::atomic<uint32_t> available_{0};  // items_ not yet handed out
  std::atomic<bool> shared_{false};     // several consumers: one at a time, from the queue
  std::atomic<bool> refilling_{false};  // the lock's holder is taking from the queue
  ShardedCounter direct_;               // consumers taking straight from the queue right now
};

}  // namespace queuednet::detail
