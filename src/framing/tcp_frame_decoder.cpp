// Internal. See tcp_frame_decoder.h.
#include "framing/tcp_frame_decoder.h"

#include <algorithm>

namespace queuednet::detail {

uint64_t decode_length(const unsigned char *header, int header_size) {
  uint64_t v = 0;
  for (int i = 0; i < header_size; ++i) v |= static_cast<uint64_t>(header[i]) << (8 * i);
  return v;
}

TcpFrameDecoder::Result TcpFrameDecoder::feed(const unsigned char *data, size_t size, const FrameConfig &config,
                                              const FrameSink &sink) {
  if (config.stream_unframed()) {
    if (size > 0) sink(data, size);
    return {};
  }
  const size_t h = static_cast<size_t>(config.header_size);
  while (size > 0) {
    if (partial_.empty()) {
      // Fast path: frames wholly inside this chunk are delivered in place, without a copy.
      if (size < h) break;
      const uint64_t len = decode_length(data, config.header_size);
      if (len > config.max_datagram_size) return {false, len};
      if (size - h >= len) {
        sink(data + h, static_cast<size_t>(len));
        data += h + len;
        size -= h + len;
        continue;
      }
      break;
    }
    // Slow path: complete the held partial frame. The buffer grows only as bytes arrive, so a
    // header that announces a large frame costs nothing until the bytes come.
    if (partial_.size() < h) {
      const size_t take = std::min(h - partial_.size(), size);
      partial_.insert(partial_.end(), data, data + take);
      data += take;
      size -= take;
      if (partial_.size() < h) return {};
    }
    const uint64_t len = decode_length(partial_.data(), config.header_size);
    if (len > config.max_datagram_size) return {false, len};
    const size_t take = static_cast<size_t>(std::min<uint64_t>(h + len - partial_.size(), size));
    partial_.insert(partial_.end(), data, data + take);
    data += take;
    size -= take;
    if (partial_.size() == h + len) {
      sink(partial_.data() + h, static_cast<size_t>(len));
      partial_.clear();
    }
  }
  if (size > 0) partial_.insert(partial_.end(), data, data + size);
  return {};
}

}  // namespace queuednet::detail
