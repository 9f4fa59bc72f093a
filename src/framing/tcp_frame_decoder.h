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

  // Consumes data[0..size). `sink(payload, length)` is called once per complete datagram (the
  // payload is valid only during the call) and returns whether to go on; when it returns false
  // the decoder stops right after that datagram and reports how much it consumed, so the rest
  // can be fed later. A sink returning void always goes on. Stops at the first header announcing more than config.max_datagram_size
  // (!ok); the decoder must then not be fed again.
  template <class Sink>
  Result feed(const unsigned char *data, size_t size, const FrameConfig &config, Sink &&sink) {
    if (config.stream_unframed()) {
      if (size > 0) deliver(sink, data, size);
      return {size, true, 0};
    }
    const unsigned char *const begin = data;
    const size_t h = static_cast<size_t>(config.header_size);
    while (size > 0) {
      if (partial_.empty()) {
        // Fast path: frames wholly inside this chunk are delivered in place, without a copy.
        if (size < h) break;
        const uint64_t len = decode_length(data, config.header_size);
        if (len > config.max_datagram_size) return {static_cast<size_t>(data - begin), false, len};
        if (size - h < len) break;
        data += h + len;
        size -= h + len;
        if (!deliver(sink, data - len, static_cast<size_t>(len))) return {static_cast<size_t>(data - begin), true, 0};
        continue;
      }
      // Slow path: complete the held partial frame. The buffer grows only as bytes arrive, so a
      // header that announces a large frame costs nothing until the bytes come.
      if (partial_.size() < h) {
        const size_t take = std::min(h - partial_.size(), size);
        partial_.insert(partial_.end(), data, data + take);
        data += take;
        size -= take;
        if (partial_.size() < h) break;
      }
      const uint64_t len = decode_length(partial_.data(), config.header_size);
      if (len > config.max_datagram_size) return {static_cast<size_t>(data - begin), false, len};
      const size_t take = static_cast<size_t>(std::min<uint64_t>(h + len - partial_.size(), size));
      partial_.insert(partial_.end(), data, data + take);
      data += take;
      size -= take;
      if (partial_.size() == h + len) {
        const bool go_on = deliver(sink, partial_.data() + h, static_cast<size_t>(len));
        partial_.clear();
        if (!go_on) return {static_cast<size_t>(data - begin), true, 0};
      }
    }
    if (size > 0) partial_.insert(partial_.end(), data, data + size);
    return {static_cast<size_t>(data - begin) + size, true, 0};
  }

  // Bytes held of an incomplete frame (header included).
  size_t buffered() const { return partial_.size(); }
  void reset() { partial_.clear(); }

 private:
  template <class Sink>
  static bool deliver(Sink &sink, const unsigned char *data, size_t size) {
    if constexpr (std::is_void_v<decltype(sink(data, size))>) {
      sink(data, size);
      return true;
    } else {
      return sink(data, size);
    }
  }

  std::vector<unsigned char> partial_;
};

}  // namespace queuednet::detail
