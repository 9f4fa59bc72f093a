// Internal. The public layer's bridge to the engine's own types: the application's handle
// (Connection) and the engine's reference to its core (ConnectionRef, which shares the handle's
// ownership); NetAddress and the engine's SocketAddress.
// Thread safety: as std::shared_ptr; the address functions, any thread.
#pragma once

#include <memory>
#include <utility>

#include "engine/connection_core.h"
#include "engine/socket_address.h"
#include "queuednet/connection.h"
#include "queuednet/net_address.h"

namespace queuednet::detail {

struct ConnectionAccess {
  static ConnectionCore &core(const Connection &c) { return c.core(); }
  static void construct(Connection *at, std::unique_ptr<ConnectionCore> core) {
    ::new (static_cast<void *>(at)) Connection(std::move(core));
  }
};

// Makes the application's handle with std::allocate_shared, so the handle and its control
// block are one allocation; it constructs through ConnectionAccess (the constructor is private).
template <class T>
struct HandleAllocator {
  using value_type = T;
  HandleAllocator() = default;
  template <class U>
  HandleAllocator(const HandleAllocator<U> &) {}  // NOLINT(google-explicit-constructor): rebinding
  T *allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T *p, size_t n) { std::allocator<T>().deallocate(p, n); }
  void construct(Connection *at, std::unique_ptr<ConnectionCore> core) { ConnectionAccess::construct(at, std::move(core)); }
  template <class U>
  void destroy(U *p) {
    p->~U();
  }
  template <class U>
  bool operator==(const HandleAllocator<U> &) const {
    return true;
  }
};

// The engine's reference to `c`'s core (null for null).
inline ConnectionRef ref_of(const std::shared_ptr<Connection> &c) {
  return c ? ConnectionRef(c, &ConnectionAccess::core(*c)) : nullptr;
}
// The application's handle of the core `r` refers to (null for null).
inline std::shared_ptr<Connection> handle_of(const ConnectionRef &r) {
  return r ? std::shared_ptr<Connection>(r, r->handle) : nullptr;
}
inline std::shared_ptr<Connection> handle_of(ConnectionRef &&r) {
  Connection *h = r ? r->handle : nullptr;
  return std::shared_ptr<Connection>(std::move(r), h);
}


static_assert(static_cast<int>(Connection::Kind::tcp_stream) == static_cast<int>(ChannelKind::stream) &&
              static_cast<int>(Connection::Kind::tcp_listener) == static_cast<int>(ChannelKind::listener) &&
              static_cast<int>(Connection::Kind::udp) == static_cast<int>(ChannelKind::datagram));
inline ChannelKind channel_kind(Connection::Kind k) { return static_cast<ChannelKind>(k); }
inline Connection::Kind connection_kind(ChannelKind k) { return static_cast<Connection::Kind>(k); }

inline SocketAddress socket_address(const NetAddress &a) { return SocketAddress(a.get_sockaddr(), a.get_sockaddr_len()); }
inline NetAddress net_address(const SocketAddress &a) { return NetAddress(a.get(), a.length()); }

}  // namespace queuednet::detail
