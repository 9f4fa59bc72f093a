// Internal. Fault injection behind ConnectionReader::start_delay(): datagrams (and the reset
// report that follows a connection's last datagram) held back until their release time, then
// handed on in release order, ties in arrival order. The loop gives the datagrams of one
// connection non-decreasing release times, so their order is kept.
// Thread contract: the owning loop's thread only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/queued_datagram.h"

namespace queuednet::detail {

struct ReaderCore;

class DelayLine {
 public:
  using Clock = std::chrono::steady_clock;

  struct Item {
    Clock::time_point release;
    uint64_t seq = 0;
    std::shared_ptr<ReaderCore> reader;  // null: a reset report for datagram.connection
    QueuedDatagram datagram;
    std::string why;  // reset reports: the reason
  };

  void hold(Item &&item) {
    item.seq = next_seq_++;
    heap_.push_back(std::move(item));
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  bool empty() const { return heap_.empty(); }
  Clock::time_point next_release() const { return heap_.front().release; }
  // Takes the earliest item if it is due at `now`.
  bool pop_due(Clock::time_point now, Item &out) {
    if (heap_.empty() || heap_.front().release > now) return false;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    out = std::move(heap_.back());
    heap_.pop_back();
    return true;
  }

 private:
  static bool later(const Item &a, const Item &b) {
    return a.release != b.release ? a.release > b.release : a.seq > b.seq;
  }
  std::vector<Item> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace queuednet::detail
