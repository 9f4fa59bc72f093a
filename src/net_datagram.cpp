// Internal. NetDatagram members that involve its connection.
#include "queuednet/net_datagram.h"

#include "queuednet/connection.h"

namespace queuednet {

NetDatagram &NetDatagram::operator=(const Datagram &copy) {
  Datagram::operator=(copy);
  connection_.reset();
  address_.clear();
  address_is_peer_ = false;
  return *this;
}

void NetDatagram::clear() {
  Datagram::clear();
  connection_.reset();
  address_.clear();
  address_is_peer_ = false;
}

void NetDatagram::set_connection(const std::shared_ptr<Connection> &connection) {
  get_address();  // keeps the address it had
  address_is_peer_ = false;
  connection_ = connection;
}

const NetAddress &NetDatagram::get_address() const {
  if (address_is_peer_) {
    if (connection_) address_ = connection_->get_address();
    address_is_peer_ = false;
  }
  return address_;
}

}  // namespace queuednet
