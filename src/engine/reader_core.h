// Internal. What a reader or listener shares with the event loops that feed it: its framing
// settings, its input budget and fault injection, its result queue, its member connections and
// its counters. Kept alive by shared_ptr from both sides, so a reader may be destroyed while
// loops still hold it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/connection_core.h"
#include "engine/drain_mark.h"
#include "engine/queued_datagram.h"
#include "engine/reader_front.h"
#include "engine/result_queue.h"
#include "engine/socket_address.h"
#include "framing/frame_config.h"

namespace queuednet::detail {

// Membership shared by readers and listeners; does not keep connections alive. Each member
// sits at its core's member_slot (a connection is in at most one set). Any thread.
class MemberSet {
 public:
  bool add(const ConnectionRef &c) {
    std::lock_guard lock(mutex_);
    if (holds(c.get())) return false;
    c->member_slot.store(static_cast<uint32_t>(members_.size()), std::memory_order_relaxed);
    members_.push_back(Member{c.get(), c});
    return true;
  }
  std::vector<ConnectionRef> take_all() {
    std::lock_guard lock(mutex_);
    std::vector<ConnectionRef> out;
    for (Member &m : members_) {
      if (ConnectionRef c = m.ref.lock()) out.push_back(std::move(c));
    }
    members_.clear();
    return out;
  }
  bool remove(const ConnectionCore *c) {
    ConnectionRef moved;  // let go after the lock: it may be the last reference
    std::lock_guard lock(mutex_);
    if (!holds(c)) return false;
    const uint32_t slot = c->member_slot.load(std::memory_order_relaxed);
    if (slot + 1 != members_.size()) {
      members_[slot] = std::move(members_.back());
      if ((moved = members_[slot].ref.lock())) moved->member_slot.store(slot, std::memory_order_relaxed);
    }
    members_.pop_back();
    return true;
  }
  bool contains(const ConnectionCore *c) const {
    std::lock_guard lock(mutex_);
    return holds(c);
  }

 private:
  struct Member {
    const ConnectionCore *core;  // identity only: never read through (it may be gone)
    std::weak_ptr<ConnectionCore> ref;
  };
  // `c` (alive) is a member: its slot names it, and the entry is not a gone connection's whose
  // address `c` now reuses.
  bool holds(const ConnectionCore *c) const {
    const uint32_t slot = c->member_slot.load(std::memory_order_relaxed);
    return slot < members_.size() && members_[slot].core == c && !members_[slot].ref.expired();
  }

  mutable std::mutex mutex_;
  std::vector<Member> members_;
};

inline constexpr uint64_t kDefaultBudgetDatagrams = 1024;
inline constexpr uint64_t kDefaultBudgetBytes = 1u << 20;

struct ReaderCore {
  std::atomic<int> header_size{kDefaultTcpHeaderSize};
  std::atomic<bool> raw{false};
  std::atomic<size_t> max_datagram_size{kDefaultMaxDatagramSize};
  // Input budget per connection (see InputAccount in connection_core.h).
  std::atomic<uint64_t> budget_datagrams{kDefaultBudgetDatagrams};
  std::atomic<uint64_t> budget_bytes{kDefaultBudgetBytes};
  // Fault injection: datagrams become available after a delay in [min, max] ns (max 0: off);
  // UDP packets are dropped with this probability.
  std::atomic<int64_t> delay_min_ns{0};
  std::atomic<int64_t> delay_max_ns{0};
  std::atomic<double> udp_drop_probability{0.0};

  ResultQueue<QueuedDatagram> queue;
  ReaderFront front;  // the head of `queue`, taken a batch at a time (get_data)
  DrainMark drain;    // what data_available() last found
  MemberSet members;

  // Counters, added by the loops once per batch.
  std::atomic<uint64_t> datagrams_received{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> bad_udp_datagrams{0};
  std::atomic<uint64_t> oversize_frames{0};
  std::atomic<uint64_t> udp_dropped_by_fault_injection{0};

  FrameConfig config() const {
    return FrameConfig{header_size.load(std::memory_order_relaxed), raw.load(std::memory_order_relaxed),
                       max_datagram_size.load(std::memory_order_relaxed)};
  }
  bool delaying() const { return delay_max_ns.load(std::memory_order_relaxed) > 0; }
  // Whether a datagram is there to take, in the queue or the front (a hint under
  // concurrency). The queue first: a refill counts the front as holding before it empties the
  // queue (reader_front.h), so one of the two shows what is there.
  bool has_data() const {
    if (!queue.empty()) return true;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return front.size() > 0;
  }
  // Whether a paused connection with `outstanding` (InputAccount) may be read again: under
  // half the budget.
  bool below_low_water(uint64_t outstanding) const {
    return InputAccount::datagrams(outstanding) * 2 <= budget_datagrams.load(std::memory_order_relaxed) &&
           InputAccount::bytes(outstanding) * 2 <= budget_bytes.load(std::memory_order_relaxed);
  }
};

struct ListenerItem {
  ConnectionRef rendezvous;
  SocketAddress address;
  ConnectionRef connection;
};

struct ListenerCore {
  ResultQueue<ListenerItem> queue;
  DrainMark drain;  // what new_connection_available() last found
  MemberSet members;
  std::atomic<uint64_t> accept_refusals{0};
};

}  // namespace queuednet::detail
