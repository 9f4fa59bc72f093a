// Internal. NetDatagram members that reset the connection and address.
#include "queuednet/net_datagram.h"

namespace queuednet {

NetDatagram &NetDatagram::operator=(const Datagram &copy) {
  Datagram::operator=(copy);
  connection_.reset();
  address_.clear();
  return *this;
}

void NetDatagram::clear() {
  Datagram::clear();
  connection_.reset();
  address_.clear();
}

}  // namespace queuednet
