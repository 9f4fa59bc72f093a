// Internal. See network_interfaces.h.
#include "network_interfaces.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netpacket/packet.h>

#include <cstdio>
#include <map>
#include <ostream>

namespace queuednet {

void NetworkInterface::output(std::ostream &out) const {
  out << name_ << " [";
  if (operational_) out << " operational";
  if (is_ipv6()) out << " ipv6";
  if (has_ip_) out << " " << ip_.get_ip_string();
  if (has_netmask_) out << " netmask " << netmask_.get_ip_string();
  if (has_broadcast_) out << " broadcast " << broadcast_.get_ip_string();
  if (has_p2p_) out << " p2p " << p2p_.get_ip_string();
  out << " ]";
}

std::ostream &operator<<(std::ostream &out, const NetworkInterface &iface) {
  iface.output(out);
  return out;
}

namespace detail {
namespace {

socklen_t len_of(const sockaddr *a) {
  return a->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

}  // namespace

std::vector<NetworkInterface> scan_network_interfaces() {
  std::vector<NetworkInterface> result;
  ifaddrs *list = nullptr;
  if (::getifaddrs(&list) != 0) return result;
  std::map<std::string, std::string> macs;
  for (ifaddrs *a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_PACKET) continue;
    const auto *ll = reinterpret_cast<const sockaddr_ll *>(a->ifa_addr);
    std::string mac;
    char byte[4];
    for (int i = 0; i < ll->sll_halen; ++i) {
      std::snprintf(byte, sizeof byte, i == 0 ? "%02x" : "-%02x", ll->sll_addr[i]);
      mac += byte;
    }
    macs[a->ifa_name] = mac;
  }
  for (ifaddrs *a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    const int family = a->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    NetworkInterface iface;
    iface.set_name(a->ifa_name);
    iface.set_mac_address(macs[a->ifa_name]);
    iface.set_operational((a->ifa_flags & IFF_RUNNING) != 0);
    iface.set_ip(NetAddress(a->ifa_addr, len_of(a->ifa_addr)));
    if (a->ifa_netmask) iface.set_netmask(NetAddress(a->ifa_netmask, len_of(a->ifa_netmask)));
    if (a->ifa_ifu.ifu_broadaddr != nullptr) {
      const NetAddress other(a->ifa_ifu.ifu_broadaddr, len_of(a->ifa_ifu.ifu_broadaddr));
      if (a->ifa_flags & IFF_BROADCAST) iface.set_broadcast(other);
      if (a->ifa_flags & IFF_POINTOPOINT) iface.set_p2p(other);
    }
    result.push_back(std::move(iface));
  }
  ::freeifaddrs(list);
  return result;
}

}  // namespace detail
}  // namespace queuednet
