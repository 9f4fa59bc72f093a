// Internal. Turns a TCP byte stream into datagrams: header of 2 or 4 little-endian length bytes,
// or unframed (raw / header 0). Resumes mid-frame across calls. Pure code, no sockets.
// Thread contract: one decoder is used by one thread at a time (its connection's loop).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "framing/frame_config.h"

namespace queuednet::detail {

// Reads a little-endian length of header_size (2 or 4) bytes.
inline uint64_t decode_length(const unsigned char *header, int header_size) {
  if (header_size == 2) return uint64_t{header[0]} | uint64_t{header[1]} << 8;
  uint64_t v = 0;
  for (int i = 0; i < header_size; ++i) v |= static_cast<uint64_t>(header[i]) << (8 * i);
  return v;
}

class TcpFrameDecoder {
 public:
  struct Result {
    size_t consumed = 0;     // bytes of the input used (all of them unless the sink stopped)
    bool ok = true;          // false: a header announced more than config.max_datagram_size
    uint64_t announced = 0;  // when !ok: the length the offending header announced
  };

  // Consumes data[0..size). The sink is called once per complete datagram, as
  // `sink(payload, length)` (the payload is valid only during the call), or, when it takes
  // three arguments, `sink(payload, length, held)`: `held` is null for a datagram delivered in
  // place from `data`, and for one assembled across feeds the vector that holds exactly its
  // payload, which the sink may take (swap out) instead of copying. The sink returns whether
  // to go on; when it returns false the decoder stops right after that datagram and reports
  // how much it consumed, so the rest can be fed later. A sink returning void always goes on.
  // A zero-length datagram may come with a null payload pointer.
  // Stops at the first header announcing more than config.max_datagram_size (!ok); the
  // decoder must then not be fed again.
  template <class Sink>
  Result feed(const unsigned char *data, size_t size, const FrameConfig &config, Sink &&sink) {
    if (config.stream_unframed()) {
      if (size > 0) deliver(sink, data, size, nullptr);
      return {size, true, 0};
    }
    const unsigned char *const begin = data;
    const size_t h = static_cast<size_t>(config.header_size);
    while (size > 0) {
      if (header_have_ == 0) {
        // Fast path: frames wholly inside this chunk are delivered in place, without a copy.
        if (size < h) break;
        const uint64_t len = decode_length(data, config.header_size);
        if (len > config.max_datagram_size) return {static_cast<size_t>(data - begin), false, len};
        if (size - h < len) break;
        data += h + len;
        size -= h + len;
        if (!deliver(sink, data - len, static_cast<size_t>(len), nullptr)) {
          return {static_cast<size_t>(data - begin), true, 0};
        }
        continue;
      }
      // Slow path: complete the held frame, its header first.
      if (header_have_ < h) {
        const size_t take = std::min(h - header_have_, size);
        std::copy(data, data + take, header_ + header_have_);
        header_have_ = static_cast<uint8_t>(header_have_ + take);
        data += take;
        size -= take;
        if (header_have_ < h) break;
      }
      const uint64_t len = decode_length(header_, config.header_size);
      if (len > config.max_datagram_size) return {static_cast<size_t>(data - begin), false, len};
      const size_t take = static_cast<size_t>(std::min<uint64_t>(len - payload_.size(), size));
      // Room grows with what arrives, at most twice that: a header announcing a large frame
      // costs little until its bytes come.
      if (payload_.capacity() < payload_.size() + take) {
        payload_.reserve(static_cast<size_t>(std::min<uint64_t>(len, 2 * (payload_.size() + take))));
      }
      payload_.insert(payload_.end(), data, data + take);
      data += take;
      size -= take;
      if (payload_.size() == len) {
        const bool go_on = deliver(sink, payload_.data(), payload_.size(), &payload_);
        header_have_ = 0;
        payload_.clear();
        if (!go_on) return {static_cast<size_t>(data - begin), true, 0};
      }
    }
    hold(data, size, h);
    return {static_cast<size_t>(data - begin) + size, true, 0};
  }

  // Bytes held of an incomplete frame (header included).
  size_t buffered() const { return header_have_ + payload_.size(); }
  void reset() {
    header_have_ = 0;
    payload_ = {};
  }

 private:
  // Keeps the start of a frame (`size` < a whole frame) for the next feed.
  void hold(const unsigned char *data, size_t size, size_t h) {
    if (size == 0) return;
    const size_t header = std::min(size, h);
    std::copy(data, data + header, header_);
    header_have_ = static_cast<uint8_t>(header);
    payload_.insert(payload_.end(), data + header, data + size);
  }

  template <class Sink>
  static bool deliver(Sink &sink, const unsigned char *data, size_t size, std::vector<unsigned char> *held) {
    if constexpr (std::is_invocable_v<Sink &, const unsigned char *, size_t, std::vector<unsigned char> *>) {
      if constexpr (std::is_void_v<decltype(sink(data, size, held))>) {
        sink(data, size, held);
        return true;
      } else {
        return sink(data, size, held);
      }
    } else if constexpr (std::is_void_v<decltype(sink(data, size))>) {
      sink(data, size);
      return true;
    } else {
      return sink(data, size);
    }
  }

  std::vector<unsigned char> payload_;
  unsigned char header_[4] = {};
  uint8_t header_have_ = 0;  // 0: no frame held (the fast path)
};

}  // namespace queuednet::detail
