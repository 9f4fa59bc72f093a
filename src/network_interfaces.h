// Internal, for the ConnectionManager façade: lists the machine's network interfaces
// (getifaddrs) as the public NetworkInterface type.
#pragma once

#include <vector>

#include "queuednet/network_interface.h"

namespace queuednet::detail {

// One entry per (interface, address) pair; IPv4 and IPv6.
std::vector<NetworkInterface> scan_network_interfaces();

}  // namespace queuednet::detail
