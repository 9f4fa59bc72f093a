// Internal. A Channel is a loop's private state for one connection it owns (decoder, output
// buffer, input state, timers); ChannelTable holds them in reusable slots. A channel id packs
// a generation and the slot, so an event for a closed channel whose slot was reused is
// recognised and ignored. Thread contract: the owning loop's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "backends/backend.h"
#include "engine/connection_core.h"
#include "engine/parked_input.h"
#include "framing/tcp_frame_decoder.h"

namespace queuednet::detail {

using Clock = std::chrono::steady_clock;

struct Channel {
  uint64_t id = 0;
  ConnectionRef conn;  // keeps the connection alive while the loop owns it
  ConnectionCore *core = nullptr;
  int fd = -1;
  ChannelKind kind = ChannelKind::stream;

  // Input.
  bool reading = false;       // the backend reads (or accepts on) it
  bool paused = false;        // past its reader's input budget
  bool input_closed = false;  // the peer's FIN was handled: the channel only writes now
  bool fin_pending = false;   // the FIN came while bytes waited in `parked`
  bool backing_off = false;   // a listener out of descriptors, retrying at `deadline`
  bool output_paused = false;  // its output reached the writer's high-water mark (check_output_pressure)
  Clock::time_point output_progress{};  // output_paused: when the kernel last took some of it
  TcpFrameDecoder decoder;
  ParkedInput parked;                 // read but not delivered yet (paused, or no reader)
  uint64_t delivered = 0;             // this loop's side of the InputAccount
  Clock::time_point last_release{};   // fault injection: release times stay in order

  // Output.
  ByteBuffer out;  // being written; the kernel may hold it (send_pending)
  size_t out_off = 0;
  PacketQueue packets;  // UDP packets being sent; the first packets_off are gone
  size_t packets_off = 0;
  bool send_pending = false;
  bool wants_write = false;
  bool on_blocked_list = false;  // in the loop's list of channels that waited for writability
  bool dirty = false;  // on the loop's list of channels to write

  // Closing and timers.
  bool closing = false;                // writing what is queued, then closing
  bool lingering = false;              // closing, all written and FIN sent: input discarded until acked
  Clock::time_point close_deadline{};  // closing: give up and close at once
  Clock::duration recheck{};           // lingering: next wait for the peer's acknowledgement
  bool dead = false;                   // fd closed; kept only until the pending send completes
  bool timed = false;                  // on the loop's timer list
  Clock::time_point deadline{};        // closing: next check; half-closed: idle close; backing off: retry
  uint64_t udp_send_failures = 0;
  uint64_t datagrams_out_counted = 0;  // core.datagrams_out already in the loop's counters
  uint64_t bytes_out_counted = 0;
};

class ChannelTable {
 public:
  // A new channel in a free slot, with a fresh id (never 0).
  Channel &create() {
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
    s.channel = std::make_unique<Channel>();
    s.channel->id = (uint64_t{s.generation} << 32) | slot;
    ++live_;
    return *s.channel;
  }
  // The channel with this id, dead ones included; nullptr if gone.
  Channel *get(uint64_t id) {
    const uint32_t slot = static_cast<uint32_t>(id);
    if (slot >= slots_.size() || !slots_[slot].channel || slots_[slot].channel->id != id) return nullptr;
    return slots_[slot].channel.get();
  }
  void erase(uint64_t id) {
    const uint32_t slot = static_cast<uint32_t>(id);
    if (get(id) == nullptr) return;
    slots_[slot].channel.reset();
    free_.push_back(slot);
    --live_;
  }
  template <class F>
  void for_each(F &&f) {
    for (Slot &s : slots_) {
      if (s.channel) f(*s.channel);
    }
  }
  size_t size() const { return live_; }

 private:
  struct Slot {
    uint32_t generation = 0;
    std::unique_ptr<Channel> channel;
  };
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

}  // namespace queuednet::detail
