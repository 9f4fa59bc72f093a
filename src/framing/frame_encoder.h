// Internal. Datagram → bytes on the wire: TCP frames (header 0/2/4, raw) and UDP packets
// (2-byte little-endian additive checksum header, or raw). Also UDP verification. Pure code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "framing/frame_config.h"

namespace queuednet::detail {

// Largest payload a TCP header of this size can announce (unframed: unlimited).
uint64_t max_tcp_payload(const FrameConfig &config);

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
