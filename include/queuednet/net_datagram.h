/// @file
/// Public header. NetDatagram: a Datagram plus the Connection it arrived on (or is bound for)
/// and the peer's address.
///
/// Thread safety: distinct objects safe from any thread; one object not thread safe.
#pragma once

#include <memory>

#include "queuednet/datagram.h"
#include "queuednet/net_address.h"

namespace queuednet {

class Connection;

class NetDatagram : public Datagram {
 public:
  /// Largest UDP payload Panda3D's writer considers valid (ConnectionWriter::is_valid_for_udp).
  static constexpr size_t maximum_udp_datagram = 1500;

  NetDatagram() = default;
  NetDatagram(const void *data, size_t size) : Datagram(data, size) {}
  /// Bytes only: connection and address empty.
  explicit NetDatagram(const Datagram &copy) : Datagram(copy) {}
  NetDatagram(const NetDatagram &) = default;
  NetDatagram(NetDatagram &&) noexcept = default;
  NetDatagram &operator=(const NetDatagram &) = default;
  NetDatagram &operator=(NetDatagram &&) noexcept = default;
  /// Assigning a plain Datagram clears connection and address, as in Panda3D.
  NetDatagram &operator=(const Datagram &copy);

  /// Clears bytes, connection and address.
  void clear() override;

  /// The connection it arrived on (or is bound for); may be null. Not thread safe.
  void set_connection(const std::shared_ptr<Connection> &connection);
  const std::shared_ptr<Connection> &get_connection() const { return connection_; }
  /// Where it came from: the UDP sender, or for TCP the connection's peer. Not thread safe, not
  /// even two get_address() calls at once: a received TCP datagram reads its connection's
  /// address at the first call and keeps it.
  void set_address(const NetAddress &address) {
    address_ = address;
    address_is_peer_ = false;
  }
  const NetAddress &get_address() const;

 private:
  friend class QueuedConnectionReader;
  // A received TCP datagram: its address is its connection's peer, not copied per datagram.
  void set_peer_address(std::shared_ptr<Connection> &&connection) {
    connection_ = std::move(connection);
    address_is_peer_ = true;
  }
  // A received UDP datagram: its connection (the socket) and its sender.
  void set_sender(std::shared_ptr<Connection> &&connection, const NetAddress &sender) {
    connection_ = std::move(connection);
    address_ = sender;
    address_is_peer_ = false;
  }

  std::shared_ptr<Connection> connection_;
  // A received TCP datagram's address is its connection's, read when get_address() is first
  // called (address_is_peer_ until then).
  mutable NetAddress address_;
  mutable bool address_is_peer_ = false;
};

}  // namespace queuednet
