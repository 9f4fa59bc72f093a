// Internal. The element a reader's queue carries from the loop that read it to the thread
// that calls get_data(): the payload (inline up to kInlineBytes, so small datagrams cost no
// heap allocation on either side), the connection, and for UDP the sender. A TCP datagram
// carries no address: its connection knows its peer.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "queuednet/connection.h"

namespace queuednet::detail {

struct QueuedDatagram {
  static constexpr size_t kInlineBytes = 64;

  QueuedDatagram() = default;
  QueuedDatagram(const std::shared_ptr<Connection> &c, const unsigned char *data, size_t n)
      : connection(c), size(static_cast<uint32_t>(n)) {
    if (n <= kInlineBytes) {
      std::memcpy(small, data, n);
    } else {
      large.assign(data, data + n);
    }
  }
  const unsigned char *data() const { return size <= kInlineBytes ? small : large.data(); }

  // Sets the UDP sender (IPv4 or IPv6 socket address).
  void set_from(const sockaddr *addr, socklen_t len) {
    from_len = static_cast<uint8_t>(len <= sizeof from ? len : 0);
    std::memcpy(&from, addr, from_len);
  }

  std::shared_ptr<Connection> connection;
  uint32_t size = 0;
  uint8_t from_len = 0;  // 0: a TCP datagram (its address is the connection's peer)
  sockaddr_in6 from{};   // holds a sockaddr_in as well
  std::vector<unsigned char> large;
  unsigned char small[kInlineBytes];
};

}  // namespace queuednet::detail
