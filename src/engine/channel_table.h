// Internal. ChannelTable: a loop's channels (channel.h) by id, in reusable slots. A slot points
// at the record whose channel it is; the channel's own reference (Channel::conn) keeps that
// record alive until erase().
// Thread contract: the owning loop's thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/connection_core.h"

namespace queuednet::detail {

class ChannelTable {
 public:
  ChannelTable() = default;
  ChannelTable(const ChannelTable &) = delete;
  ChannelTable &operator=(const ChannelTable &) = delete;
  ~ChannelTable() {
    for (Slot &s : slots_) {
      if (s.core != nullptr) release(s);
    }
  }

  // Makes `conn`'s channel (it has none yet) in a free slot, with a fresh id (never 0).
  Channel &create(ConnectionRef conn) {
    uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    Slot &s = slots_[slot];
    s.generation = (s.generation + 1) & 0x0FFFFFFF;  // 28 bits: io_uring tags take 4 of 64
    if (s.generation == 0) s.generation = 1;
    s.core = conn.get();
    Channel &ch = conn->channel;
    ch.id = (uint64_t{s.generation} << 32) | slot;
    ch.core = s.core;
    ch.conn = std::move(conn);
    ++live_;
    return ch;
  }
  // The channel with this id, dead ones included; nullptr if gone.
  Channel *get(uint64_t id) {
    const uint32_t slot = static_cast<uint32_t>(id);
    if (slot >= slots_.size() || slots_[slot].core == nullptr || slots_[slot].generation != id >> 32) return nullptr;
    return &slots_[slot].core->channel;
  }
  // Frees the slot and gives up the channel's reference: the record, `ch` with it, may be gone.
  void erase(uint64_t id) {
    const uint32_t slot = static_cast<uint32_t>(id);
    if (get(id) == nullptr) return;
    release(slots_[slot]);
    free_.push_back(slot);
    --live_;
  }
  template <class F>
  void for_each(F &&f) {
    for (Slot &s : slots_) {
      if (s.core != nullptr) f(s.core->channel);
    }
  }
  size_t size() const { return live_; }

 private:
  struct Slot {
    uint32_t generation = 0;
    ConnectionCore *core = nullptr;  // null: free
  };
  static void release(Slot &s) {
    Channel &ch = s.core->channel;
    ch.dead = true;  // for good: a record's channel is made once
    const ConnectionRef last = std::move(ch.conn);
    s.core = nullptr;
  }

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

}  // namespace queuednet::detail
