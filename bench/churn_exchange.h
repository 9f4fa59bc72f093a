// One queuednet-churn-load connection's datagrams, without the socket: the frames it has yet to
// write (2-byte little-endian length, then the payload) and the echoes it still expects, each
// checked byte for byte and in order as it arrives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "load_common.h"

namespace churn {

using load::Clock;

class Exchange {
 public:
  // Starts a connection's exchange: `total` datagrams, payloads numbered by `id`.
  void start(uint32_t id, uint32_t total) {
    id_ = id;
    total_ = total;
    next_seq_ = expect_seq_ = 0;
    in_flight_.clear();
    out_.clear();
    out_off_ = 0;
    in_.clear();
  }

  // Appends the next datagram, `size` payload bytes, to the output.
  void queue_datagram(uint32_t size, Clock::time_point now) {
    append_frame(size, size);
    in_flight_.push_back({size, now});
    ++next_seq_;
  }

  // Appends a frame announcing `size` bytes but carrying only the first half of them.
  void queue_cut_frame(uint32_t size) { append_frame(size, size / 2); }

  // Sends no more datagrams than it already has.
  void end_early() { total_ = next_seq_; }

  // The output not yet written, and how much of it the socket took.
  const char *output() const { return out_.data() + out_off_; }
  size_t output_size() const { return out_.size() - out_off_; }
  void wrote(size_t n) {
    out_off_ += n;
    if (out_off_ == out_.size()) {
      out_.clear();
      out_off_ = 0;
    }
  }

  void received(const char *data, size_t n) { in_.append(data, n); }

  // Takes every whole echo received; returns how many, or sets `error` to what was wrong with
  // the first one that is not the oldest datagram in flight.
  size_t take_echoes(std::string &error) {
    size_t taken = 0, off = 0;
    const auto *p = reinterpret_cast<const unsigned char *>(in_.data());
    while (in_.size() - off >= 2) {
      const uint32_t length = p[off] | (static_cast<uint32_t>(p[off + 1]) << 8);
      if (in_flight_.empty()) {
        error = "received data no datagram was sent for";
        return taken;
      }
      if (length != in_flight_.front().size) {
        error = "echo announces " + std::to_string(length) + " bytes, " + std::to_string(in_flight_.front().size) +
                " were sent";
        return taken;
      }
      if (in_.size() - off - 2 < length) break;
      for (uint32_t i = 0; i < length; ++i) {
        if (p[off + 2 + i] != load::payload_byte(id_, expect_seq_, i)) {
          error = "echo differs at payload byte " + std::to_string(i);
          return taken;
        }
      }
      off += 2 + length;
      in_flight_.pop_front();
      ++expect_seq_;
      ++taken;
    }
    in_.erase(0, off);
    return taken;
  }

  uint32_t id() const { return id_; }
  uint32_t total() const { return total_; }
  uint32_t echoed() const { return expect_seq_; }
  size_t in_flight() const { return in_flight_.size(); }
  // When the oldest datagram still waiting for its echo was queued (in_flight() > 0).
  Clock::time_point oldest_sent() const { return in_flight_.front().sent_at; }
  bool all_queued() const { return next_seq_ == total_; }
  bool all_echoed() const { return expect_seq_ == total_; }
  // Bytes received and not taken as an echo: the start of one still coming, or ones too many.
  size_t input_size() const { return in_.size(); }

 private:
  struct InFlight {
    uint32_t size;
    Clock::time_point sent_at;
  };

  void append_frame(uint32_t size, uint32_t bytes) {
    out_.push_back(static_cast<char>(size & 0xff));
    out_.push_back(static_cast<char>(size >> 8));
    for (uint32_t i = 0; i < bytes; ++i) out_.push_back(static_cast<char>(load::payload_byte(id_, next_seq_, i)));
  }

  uint32_t id_ = 0;
  uint32_t total_ = 0;
  uint32_t next_seq_ = 0;    // next to queue
  uint32_t expect_seq_ = 0;  // next echo expected
  std::deque<InFlight> in_flight_;
  std::string out_;  // frames not yet written
  size_t out_off_ = 0;
  std::string in_;  // bytes received, not yet taken
};

}  // namespace churn
