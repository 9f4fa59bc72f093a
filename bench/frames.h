// Panda3D's TCP framing (a 2-byte little-endian length, then the datagram) as the hand-written
// baseline servers read it: splitting a connection's byte stream into frames, and the --framed
// echo of baseline-epoll-echo and baseline-uring-echo.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

// Calls on_frame(frame, size) for each complete frame of `partial` + data[0..n), in order:
// `frame` points at the length, `size` counts the datagram bytes after it. Keeps an incomplete
// frame in `partial`. on_frame must not change `partial`.
template <class OnFrame>
void for_each_frame(std::string &partial, const char *data, size_t n, OnFrame &&on_frame) {
  const bool joined = !partial.empty();
  if (joined) {
    partial.append(data, n);
    data = partial.data();
    n = partial.size();
  }
  size_t at = 0;
  while (n - at >= 2) {
    const auto *frame = reinterpret_cast<const unsigned char *>(data + at);
    const size_t size = frame[0] | size_t{frame[1]} << 8;
    if (n - at - 2 < size) break;
    on_frame(frame, size);
    at += 2 + size;
  }
  if (joined) partial.erase(0, at);
  else partial.assign(data + at, n - at);
}

// The --framed echo, the least a Panda3D-model server does per datagram: each complete frame
// of `partial` + data[0..n) has its datagram copied out into `datagram` (as get_data() does)
// and framed again onto `out` (as send() does). Returns the number of datagrams echoed.
inline uint64_t echo_frames(std::string &partial, std::string &out, const char *data, size_t n,
                            std::vector<char> &datagram) {
  uint64_t echoed = 0;
  for_each_frame(partial, data, n, [&](const unsigned char *frame, size_t size) {
    const char *payload = reinterpret_cast<const char *>(frame + 2);
    datagram.assign(payload, payload + size);
    out.append(reinterpret_cast<const char *>(frame), 2);
    out.append(datagram.data(), datagram.size());
    ++echoed;
  });
  return echoed;
}

}  // namespace bench
