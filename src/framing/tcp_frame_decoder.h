// Internal. Turns a TCP byte stream into datagrams: header of 2 or 4 little-endian length bytes,
// or unframed (raw / header 0). Resumes mid-frame across calls. Pure code, no sockets.
// Thread contract: one decoder is used by one thread at a time (its connection's loop).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "framing/frame_config.h"

namespace queuednet::detail {

class TcpFrameDecoder {
 public:
  struct Result {
    bool ok = true;
    uint64_t announced = 0;  // when !ok: the length the offending header announced
  };
  // Called once per complete datagram with its payload (valid only during the call).
  using FrameSink = std::function<void(const unsigned char *data, size_t size)>;

  // Consumes all of data[0..size). Stops at the first header announcing more than
  // config.max_datagram_size and returns !ok; the decoder must then not be fed again.
  Result feed(const unsigned char *data, size_t size, const FrameConfig &config, const FrameSink &sink);

  // Bytes held of an incomplete frame (header included).
  size_t buffered() const { return partial_.size(); }
  void reset() { partial_.clear(); }

 private:
  std::vector<unsigned char> partial_;
};

// Reads a little-endian length of header_size (2 or 4) bytes.
uint64_t decode_length(const unsigned char *header, int header_size);

}  // namespace queuednet::detail
