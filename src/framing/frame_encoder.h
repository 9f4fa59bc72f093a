// Internal. Datagram → bytes on the wire: TCP frames (header 0/2/4, raw) and UDP packets
// (2-byte little-endian additive checksum header, or raw). Also UDP verification. Pure code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "copy_bytes.h"
#include "framing/frame_config.h"

namespace queuednet::detail {

// Largest payload a TCP header of this size can announce (unframed: unlimited).
inline uint64_t max_tcp_payload(const FrameConfig &config) {
  if (config.stream_unframed()) return UINT64_MAX;
  return config.header_size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
}

// Bytes of header in front of each TCP payload (0 when unframed).
inline size_t tcp_header_bytes(const FrameConfig &config) {
  return config.stream_unframed() ? 0 : static_cast<size_t>(config.header_size);
}

// Writes the frame of data[0..size) at `out`: tcp_header_bytes(config) + size bytes. The
// payload must fit the header (size <= max_tcp_payload(config)).
inline void write_tcp_frame(unsigned char *out, const unsigned char *data, size_t size, const FrameConfig &config) {
  const size_t h = tcp_header_bytes(config);
  if (h == 2) {
    out[0] = static_cast<unsigned char>(size);
    out[1] = static_cast<unsigned char>(size >> 8);
  } else {
    for (size_t i = 0; i < h; ++i) out[i] = static_cast<unsigned char>(size >> (8 * i));
  }
  copy_bytes(out + h, data, size);
}

// Appends header + payload to `out`. Returns false, appending nothing, when the payload is
// larger than the header can announce.
bool append_tcp_frame(std::vector<unsigned char> &out, const unsigned char *data, size_t size,
                      const FrameConfig &config);

// Sum of all bytes modulo 65536 (Panda3D's UDP "checksum").
uint16_t udp_checksum(const unsigned char *data, size_t size);

// Appends the UDP packet for this payload (checksum header unless raw).
void append_udp_packet(std::vector<unsigned char> &out, const unsigned char *data, size_t size,
                       const FrameConfig &config);

// The payload of a received UDP packet, or nullopt when it is shorter than the header or its
// checksum does not match. Raw mode: the whole packet.
std::optional<std::span<const unsigned char>> verify_udp_packet(const unsigned char *data, size_t size,
                                                                const FrameConfig &config);

}  // namespace queuednet::detail
