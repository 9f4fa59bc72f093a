// Internal. A Channel is the part of a connection's record (ConnectionCore::channel) that only
// the loop owning the connection touches: decoder, output being written, input state, timers.
// Its id packs a generation and a ChannelTable slot (channel_table.h), so an event for a closed
// channel whose slot was reused is recognised and ignored.
// Thread contract: the owning loop's thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "backends/backend.h"
#include "engine/byte_buffer.h"
#include "engine/parked_input.h"
#include "framing/tcp_frame_decoder.h"

namespace queuednet::detail {

using Clock = std::chrono::steady_clock;
struct ConnectionCore;

struct Channel {
  uint64_t id = 0;  // 0: no channel yet (the owning loop makes it when it first looks)
  // The record this channel is part of, by the record's own reference, which keeps it alive
  // while its loop owns the channel: taken when the channel is made, given up when
  // ChannelTable erases it.
  std::shared_ptr<ConnectionCore> conn;
  int fd = -1;
  ChannelKind kind = ChannelKind::stream;

  // The flags, one bit each (the loop's thread alone writes them). Input:
  bool reading : 1 = false;        // the backend reads (or accepts on) it
  bool paused : 1 = false;         // past its reader's input budget
  bool input_closed : 1 = false;   // the peer's FIN was handled: the channel only writes now
  bool fin_pending : 1 = false;    // the FIN came while bytes waited in `parked`
  bool backing_off : 1 = false;    // a listener out of descriptors, retrying at `deadline`
  bool output_paused : 1 = false;  // its output reached the writer's high-water mark (check_output_pressure)
  // Output:
  bool send_pending : 1 = false;     // the kernel holds `out` (a completion backend's send)
  bool wants_write : 1 = false;
  bool on_blocked_list : 1 = false;  // in the loop's list of channels that waited for writability
  bool dirty : 1 = false;            // on the loop's list of channels to write
  // Closing and timers:
  bool closing : 1 = false;    // writing what is queued, then closing
  bool lingering : 1 = false;  // closing, all written and FIN sent: input discarded until acked
  bool dead : 1 = false;       // fd closed; kept only until the pending send completes
  bool timed : 1 = false;      // on the loop's timer list
  uint8_t rechecks = 0;        // lingering: doublings of the wait for the peer's acknowledgement (capped)

  // Input.
  TcpFrameDecoder decoder;
  ParkedInput parked;                   // read but not delivered yet (paused, or no reader)
  uint64_t delivered = 0;               // this loop's side of the InputAccount
  Clock::time_point last_release{};     // fault injection: release times stay in order
  Clock::time_point output_progress{};  // output_paused: when the kernel last took some of it

  // Output.
  ByteBuffer out;  // being written
  size_t out_off = 0;
  uint64_t datagrams_out_counted = 0;  // core.datagrams_out already in the loop's counters
  uint64_t bytes_out_counted = 0;

  // Closing and timers.
  Clock::time_point close_deadline{};  // closing: give up and close at once
  Clock::time_point deadline{};        // closing: next check; half-closed: idle close; backing off: retry
};

}  // namespace queuednet::detail
