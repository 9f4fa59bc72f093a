// Internal. How one reader or writer frames datagrams (pure data, no sockets).
#pragma once

#include <cstddef>

namespace queuednet::detail {

// Largest datagram a reader accepts by default with a 4-byte header (a 2-byte header caps it
// at 65535 by itself). A frame announcing more closes the connection.
inline constexpr size_t kDefaultMaxDatagramSize = 16u << 20;
inline constexpr int kDefaultTcpHeaderSize = 2;  // Panda3D's tcp-header-size default

struct FrameConfig {
  int header_size = kDefaultTcpHeaderSize;  // 0, 2 or 4; 0 = unframed byte stream
  bool raw = false;                         // no TCP header, no UDP checksum
  size_t max_datagram_size = kDefaultMaxDatagramSize;

  // TCP bytes pass through unframed: each received chunk is one datagram.
  bool stream_unframed() const { return raw || header_size == 0; }
};

}  // namespace queuednet::detail
