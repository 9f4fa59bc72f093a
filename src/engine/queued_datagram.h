// Internal. The element a reader's queue carries from the loop that read it to the thread
// that calls get_data(): the connection, for UDP the sender, and the payload. The sender and a
// payload that fits are stored inline (kInlineBytes together), so small datagrams cost no heap
// allocation on either side; a larger payload is a vector (alive only then) that the reader
// hands over to the application's Datagram without copying. A move copies 32 inline bytes
// when that is all it uses: a 32-byte TCP datagram moves 56 bytes, not the element's 128. A
// TCP datagram carries no address: its connection knows its peer.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "copy_bytes.h"
#include "engine/connection_core.h"

namespace queuednet::detail {

struct QueuedDatagram {
  static constexpr size_t kInlineBytes = 80;

  QueuedDatagram() {}
  // `from` is the UDP sender (nullptr for a stream datagram).
  QueuedDatagram(const ConnectionRef &c, const unsigned char *data, size_t n,
                 const sockaddr *from = nullptr, socklen_t from_len = 0)
      : connection(c) {
    set(data, n, from, from_len);
  }
  QueuedDatagram(QueuedDatagram &&o) noexcept : connection(std::move(o.connection)) { take(o); }
  QueuedDatagram &operator=(QueuedDatagram &&o) noexcept {
    connection = std::move(o.connection);
    drop_large();
    take(o);
    return *this;
  }
  QueuedDatagram(const QueuedDatagram &) = delete;
  QueuedDatagram &operator=(const QueuedDatagram &) = delete;
  ~QueuedDatagram() { drop_large(); }

  // Stores the payload and the sender (IPv4 or IPv6 socket address, or none); the connection
  // is set separately. Inlined: it is most of a small datagram's delivery.
  [[gnu::always_inline]] void set(const unsigned char *data, size_t n, const sockaddr *from, socklen_t len) {
    drop_large();
    from_len = static_cast<uint8_t>(from != nullptr && len <= sizeof(sockaddr_in6) ? len : 0);
    if (from_len > 0) std::memcpy(inline_, from, from_len);
    size = static_cast<uint32_t>(n);
    if (payload_inline()) {
      copy_bytes(inline_ + from_len, data, n);
    } else {
      new (&large_) std::vector<unsigned char>(data, data + n);
    }
  }
  // A TCP payload the decoder assembled in `held`: taken without a copy when it is too large
  // to be inline (`held` is left empty), copied otherwise.
  void set_held(std::vector<unsigned char> &held) {
    if (held.size() <= kInlineBytes) {
      set(held.data(), held.size(), nullptr, 0);
      return;
    }
    drop_large();
    from_len = 0;
    size = static_cast<uint32_t>(held.size());
    new (&large_) std::vector<unsigned char>();
    large_.swap(held);
  }
  bool payload_inline() const { return from_len + size_t{size} <= kInlineBytes; }
  const unsigned char *data() const { return payload_inline() ? inline_ + from_len : large_.data(); }
  // A payload that is not inline; the caller may take its buffer (swap it out).
  std::vector<unsigned char> &large() { return large_; }
  // The UDP sender, or nullptr for a stream datagram (from_len 0).
  const sockaddr *from() const { return from_len > 0 ? reinterpret_cast<const sockaddr *>(inline_) : nullptr; }

  ConnectionRef connection;
  uint32_t size = 0;     // payload bytes
  uint8_t from_len = 0;  // 0: a TCP datagram (its address is the connection's peer)

 private:
  // Takes o's payload and sender; o is left empty.
  void take(QueuedDatagram &o) noexcept {
    size = o.size;
    from_len = o.from_len;
    if (o.from_len + size_t{o.size} <= kSmallCopy) {
      std::memcpy(inline_, o.inline_, kSmallCopy);  // a fixed size: a few vector moves
    } else {
      std::memcpy(inline_, o.inline_, kInlineBytes);
      if (!payload_inline()) {
        new (&large_) std::vector<unsigned char>(std::move(o.large_));
        o.drop_large();
      }
    }
    o.size = 0;
    o.from_len = 0;
  }
  // Ends the vector's life, if the payload is in it (the element then holds no payload).
  void drop_large() noexcept {
    if (!payload_inline()) {
      large_.~vector();
      size = 0;
      from_len = 0;
    }
  }
  static constexpr size_t kSmallCopy = 32;

  union {
    std::vector<unsigned char> large_;  // alive exactly when the payload is not inline
  };
  // The sender (from_len bytes, 4-byte aligned like a sockaddr_in6), then an inline payload.
  alignas(4) unsigned char inline_[kInlineBytes];
};

static_assert(sizeof(QueuedDatagram) == 128, "a small datagram moves 56 of its 128 bytes");

}  // namespace queuednet::detail
