// Internal. ChannelTable: a loop's channels (channel.h) by id, in reusable slots. A slot points
// at the record whose channel it is; the channel's own reference (Channel::conn) keeps that
// record alive until erase(). An id is the slot and a generation the table counts (28 bits), so
// an event for an erased channel does not reach a later one in the same slot.
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
    for (ConnectionCore *&core : slots_) {
      if (core != nullptr) release(core);
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
    generation_ = (generation_ + 1) & 0x0FFFFFFF;  // 28 bits: io_uring tags take 4 of 64
    if (generation_ == 0) generation_ = 1;
    slots_[slot] = conn.get();
    Channel &ch = conn->channel;
    ch.id = (uint64_t{generation_} << 32) | slot;
    ch.conn = std::move(conn);
    ++live_;
    return ch;
  }
  // The channel with this id, dead ones included; nullptr if gone.
  Channel *get(uint64_t id) {
    const uint32_t slot = static_cast<uint32_t>(id);
    if (slot >= slots_.size() || slots_[slot] == nullptr || slots_[slot]->channel.id != id) return nullptr;
    return &slots_[slot]->channel;
  }
  // Frees the slot, lets go of what the channel held (the application may keep the record long
  // after; the kernel no longer reads its output) and gives up the channel's reference: the
  // record, the channel with it, may be gone.
  void erase(uint64_t id) {
    const uint32_t slot = static_cast<uint32_t>(id);
    if (get(id) == nullptr) return;
    release(slots_[slot]);
    free_.push_back(slot);
    --live_;
  }
  template <class F>
  void for_each(F &&f) {
    for (ConnectionCore *core : slots_) {
      if (core != nullptr) f(core->channel);
    }
  }
  size_t size() const { return live_; }

 private:
  static void release(ConnectionCore *&slot) {
    Channel &ch = slot->channel;
    ch.dead = true;  // for good: a record's channel is made once
    ch.decoder.reset();
    ch.parked.release();
    ch.out.release();
    if (slot->udp) slot->udp->sending = PacketQueue{};
    const ConnectionRef last = std::move(ch.conn);
    slot = nullptr;
  }

  std::vector<ConnectionCore *> slots_;  // null: free
  uint32_t generation_ = 0;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

}  // namespace queuednet::detail
