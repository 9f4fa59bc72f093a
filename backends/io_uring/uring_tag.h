// Internal. What the io_uring backend puts in a request's user_data: the channel id (its
// generation and slot, so a late completion for a reused slot is recognised) shifted left by
// four bits, and in those four bits the kind of request.
#pragma once

#include <cstdint>

#include "backends/backend.h"

namespace queuednet::detail {

enum UringOp : uint64_t {
  kRecv = 1, kAccept = 2, kSend = 3, kPollIn = 4, kPollOut = 5, kWake = 6, kCancel = 7, kHangUp = 8
};

constexpr uint64_t uring_tag(uint64_t id, UringOp op) { return (id << 4) | op; }
constexpr uint64_t uring_tag_id(uint64_t tag) { return tag >> 4; }
constexpr UringOp uring_tag_op(uint64_t tag) { return static_cast<UringOp>(tag & 0xf); }

// The multishot request that reads (or accepts on) a channel of this kind.
constexpr UringOp uring_read_op(ChannelKind k) {
  return k == ChannelKind::listener ? kAccept : k == ChannelKind::stream ? kRecv : kPollIn;
}

}  // namespace queuednet::detail
