/// @file
/// Public header. One network interface as listed by ConnectionManager::scan_interfaces()
/// (Panda3D's ConnectionManager::Interface). A plain value; thread safety as for any value.
#pragma once

#include <iosfwd>
#include <string>

#include "queuednet/net_address.h"

namespace queuednet {

class NetworkInterface {
 public:
  const std::string &get_name() const { return name_; }
  /// "aa-bb-cc-dd-ee-ff" lower-case; empty when unknown.
  const std::string &get_mac_address() const { return mac_address_; }
  bool has_ip() const { return has_ip_; }
  const NetAddress &get_ip() const { return ip_; }
  bool has_netmask() const { return has_netmask_; }
  const NetAddress &get_netmask() const { return netmask_; }
  bool has_broadcast() const { return has_broadcast_; }
  const NetAddress &get_broadcast() const { return broadcast_; }
  bool has_p2p() const { return has_p2p_; }
  const NetAddress &get_p2p() const { return p2p_; }
  bool is_operational() const { return operational_; }
  bool is_ipv6() const { return ip_.get_family() == AF_INET6; }
  /// "name [ operational ipv6 <ip> netmask <m> broadcast <b> p2p <p> ]", fields present only.
  void output(std::ostream &out) const;

  void set_name(std::string name) { name_ = std::move(name); }
  void set_mac_address(std::string mac) { mac_address_ = std::move(mac); }
  void set_ip(const NetAddress &a) { ip_ = a; has_ip_ = true; }
  void set_netmask(const NetAddress &a) { netmask_ = a; has_netmask_ = true; }
  void set_broadcast(const NetAddress &a) { broadcast_ = a; has_broadcast_ = true; }
  void set_p2p(const NetAddress &a) { p2p_ = a; has_p2p_ = true; }
  void set_operational(bool flag) { operational_ = flag; }

 private:
  std::string name_;
  std::string mac_address_;
  NetAddress ip_, netmask_, broadcast_, p2p_;
  bool has_ip_ = false, has_netmask_ = false, has_broadcast_ = false, has_p2p_ = false;
  bool operational_ = false;
};

std::ostream &operator<<(std::ostream &out, const NetworkInterface &iface);

}  // namespace queuednet
