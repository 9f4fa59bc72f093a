// The broadcast workload's datagrams, shared by its servers and its load generator. Each travels
// in a Panda3D TCP frame (2-byte little-endian length, then the payload):
//   join: 'J', uint32 room id. A client's first datagram; the server adds the connection to the
//         room and sends the join back to that client only (the ack).
//   data: 'D', uint32 sender id, uint32 sequence (0, 1, 2, ... per sender), uint64 send time
//         (CLOCK_MONOTONIC ns), then padding up to the datagram's size. The server sends it
//         unchanged to every member of the sender's room, the sender included.
// Every integer is little-endian. A closed or reset connection leaves its room.
#pragma once

#include <time.h>

#include <cstddef>
#include <cstdint>

namespace broadcast {

constexpr unsigned char kJoin = 'J';
constexpr unsigned char kData = 'D';
constexpr size_t kJoinSize = 5;
constexpr size_t kDataHeaderSize = 17;  // the smallest data datagram
constexpr size_t kFrameHeaderSize = 2;

inline uint32_t get_u32(const unsigned char *p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
inline uint64_t get_u64(const unsigned char *p) { return get_u32(p) | uint64_t{get_u32(p + 4)} << 32; }
inline void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
inline void put_u64(unsigned char *p, uint64_t v) {
  put_u32(p, static_cast<uint32_t>(v));
  put_u32(p + 4, static_cast<uint32_t>(v >> 32));
}

// A data datagram's clock: CLOCK_MONOTONIC in nanoseconds.
inline int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

}  // namespace broadcast
