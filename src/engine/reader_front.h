// Internal. ReaderFront: the head of a reader's queue, taken from the shared queue up to
// kCapacity datagrams at a time and handed out one per get_data(), under one spin lock.
//
// Taking datagrams one by one from the moodycamel queue costs several atomic read-modify-
// writes each (the queue's own two, the pop count, the connection's InputAccount, the polled
// wait count). The front takes a batch with one bulk dequeue and settles the counts once per
// batch, or once per run of one connection's datagrams, so a datagram costs the lock (one
// exchange; the release is a plain store) and a copy:
//  - the connection's InputAccount::consumed grows when the last datagram of a run is taken
//    (the next one in the front is another connection's, or none is left): it is exact
//    whenever the application has taken a run, and behind by less than a run otherwise;
//  - polled mode's waiting count (the write rule's "nothing is waiting to be read") goes down
//    by the batch when its last datagram is taken: until then the rest still wait.
// The front belongs to the reader, not to a thread: any thread takes the next datagram, each
// reaches exactly one caller, and the front hands them out in queue order.
// Thread contract: any thread; take() and the counts under the front's own lock.
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
#include "engine/spin_lock.h"

namespace queuednet::detail {

class ReaderFront {
 public:
  static constexpr size_t kCapacity = 16;

  // Datagrams in the front (a hint under concurrency). Any thread.
  size_t size() const { return available_.load(std::memory_order_acquire); }

  // Takes the next datagram, refilling the front from `queue` when it is empty, and calls
  // `use(item)` under the lock to move out what the caller keeps. False when there is none.
  // `waiting` is the polled engine's wait count (nullptr with workers). `below_low_water`
  // says whether a paused connection with that InputAccount::outstanding() may be read again;
  // such a connection is left in `*resume` for the caller to sync, outside the lock.
  template <class BelowLowWater, class Use>
  bool take(ResultQueue<QueuedDatagram> &queue, std::atomic<int64_t> *waiting, BelowLowWater below_low_water,
            std::shared_ptr<Connection> *resume, Use use) {
    std::lock_guard lock(lock_);
    if (next_ == count_) {
      next_ = 0;
      count_ = static_cast<uint32_t>(queue.pop_bulk(items_.data(), kCapacity));
      available_.store(count_, std::memory_order_release);
      if (count_ == 0) return false;
    }
    QueuedDatagram &item = items_[next_++];
    run_units_ += InputAccount::unit(item.size);
    if (next_ == count_ || items_[next_].connection != item.connection) {
      ConnectionCore &core = ConnectionAccess::core(*item.connection);
      core.input.consumed.fetch_add(run_units_, std::memory_order_seq_cst);
      run_units_ = 0;
      // Back under half the budget: the loop may read the connection again.
      if (core.input.paused.load(std::memory_order_seq_cst) && below_low_water(core.input.outstanding()) &&
          core.input.paused.exchange(false)) {
        *resume = item.connection;
      }
    }
    if (next_ == count_ && waiting != nullptr) waiting->fetch_sub(count_, std::memory_order_relaxed);
    available_.store(count_ - next_, std::memory_order_release);
    use(item);
    item.connection.reset();  // whatever the caller left
    return true;
  }

 private:
  SpinLock lock_;
  uint32_t next_ = 0, count_ = 0;
  uint64_t run_units_ = 0;  // taken from the current run, not yet added to its connection
  std::atomic<uint32_t> available_{0};
  std::array<QueuedDatagram, kCapacity> items_;
};

}  // namespace queuednet::detail
