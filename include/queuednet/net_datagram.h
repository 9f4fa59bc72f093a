// Public header. NetDatagram: a Datagram plus the Connection it arrived on (or is bound for)
// and the peer's address.
//
// Thread safety: distinct objects safe from any thread; one object not thread safe.
#pragma once

#include <memory>

#include "queuednet/datagram.h"
#include "queuednet/net_address.h"

namespace queuednet {

class Connection;

class NetDatagram : public Datagram {
 public:
  // Largest UDP payload Panda3D's writer considers valid (ConnectionWriter::is_valid_for_udp).
  static constexpr size_t maximum_udp_datagram = 1500;

  NetDatagram() = default;
  NetDatagram(const void *data, size_t size) : Datagram(data, size) {}
  // Bytes only: connection and address empty.
  explicit NetDatagram(const Datagram &copy) : Datagram(copy) {}
  NetDatagram(const NetDatagram &) = default;
  NetDatagram(NetDatagram &&) noexcept = default;
  NetDatagram &operator=(const NetDatagram &) = default;
  NetDatagram &operator=(NetDatagram &&) noexcept = default;
  // Assigning a plain Datagram clears connection and address, as in Panda3D.
  NetDatagram &operator=(const Datagram &copy);

  // Clears bytes, connection and address.
  void clear() override;

  void set_connection(const std::shared_ptr<Connection> &connection) { connection_ = connection; }
  const std::shared_ptr<Connection> &get_connection() const { return connection_; }
  void set_address(const NetAddress &address) { address_ = address; }
  const NetAddress &get_address() const { return address_; }

 private:
  std::shared_ptr<Connection> connection_;
  NetAddress address_;
};

}  // namespace queuednet
