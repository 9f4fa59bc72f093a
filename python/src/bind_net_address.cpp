// Internal to the Python binding. NetAddress and NetworkInterface (ConnectionManager.Interface).
#include <sstream>
#include <string>

#include "bindings.h"

namespace queuednet::python {

void bind_net_address(py::module_ &m) {
  py::class_<NetAddress>(m, "NetAddress",
                         "An IPv4 or IPv6 socket address. IPv4-mapped IPv6 addresses are normalised to "
                         "IPv4; == and < are correct for IPv6. One object is not thread safe.")
      .def(py::init<>(), "0.0.0.0:0.")
      .def(py::init<const NetAddress &>(), py::arg("copy"))
      .def("set_any", &NetAddress::set_any, py::arg("port"), "0.0.0.0:port.")
      .def("set_localhost", &NetAddress::set_localhost, py::arg("port"), "127.0.0.1:port.")
      .def("set_broadcast", &NetAddress::set_broadcast, py::arg("port"), "255.255.255.255:port.")
      .def("set_host",
           [](NetAddress &a, const std::string &host, int port) {
             return without_gil([&] { return a.set_host(host, port); });
           },
           py::arg("hostname"), py::arg("port"),
           "Resolves a name or numeric address (every result kept). False, address unchanged and "
           "last_error() set when it cannot. Releases the GIL while resolving.")
      .def("clear", &NetAddress::clear)
      .def("get_port", &NetAddress::get_port)
      .def("set_port", &NetAddress::set_port, py::arg("port"))
      .def("get_ip_string", &NetAddress::get_ip_string, "'1.2.3.4' or '::1'.")
      .def("is_any", &NetAddress::is_any)
      .def("get_ip", &NetAddress::get_ip, "Deprecated in Panda3D: IPv4 in network byte order; 0 for IPv6.")
      .def("get_ip_component", &NetAddress::get_ip_component, py::arg("n"))
      .def("get_family", &NetAddress::get_family, "socket.AF_INET or socket.AF_INET6.")
      .def("get_hash", &NetAddress::get_hash)
      .def("get_num_resolved", &NetAddress::get_num_resolved)
      .def("get_resolved", &NetAddress::get_resolved, py::arg("n"))
      .def("output", &NetAddress::to_string, "'a.b.c.d:port' or '[v6]:port'.")
      .def("__str__", &NetAddress::to_string)
      .def("__repr__", [](const NetAddress &a) { return "<NetAddress " + a.to_string() + ">"; })
      .def("__hash__", &NetAddress::get_hash)
      .def("__eq__", [](const NetAddress &a, const NetAddress &b) { return a == b; }, py::is_operator())
      .def("__ne__", [](const NetAddress &a, const NetAddress &b) { return a != b; }, py::is_operator())
      .def("__lt__", [](const NetAddress &a, const NetAddress &b) { return a < b; }, py::is_operator());

  py::class_<NetworkInterface>(m, "NetworkInterface",
                               "One network interface as ConnectionManager.scan_interfaces() lists it "
                               "(Panda3D's ConnectionManager.Interface). A value.")
      .def("get_name", &NetworkInterface::get_name)
      .def("get_mac_address", &NetworkInterface::get_mac_address)
      .def("has_ip", &NetworkInterface::has_ip)
      .def("get_ip", &NetworkInterface::get_ip)
      .def("has_netmask", &NetworkInterface::has_netmask)
      .def("get_netmask", &NetworkInterface::get_netmask)
      .def("has_broadcast", &NetworkInterface::has_broadcast)
      .def("get_broadcast", &NetworkInterface::get_broadcast)
      .def("has_p2p", &NetworkInterface::has_p2p)
      .def("get_p2p", &NetworkInterface::get_p2p)
      .def("is_operational", &NetworkInterface::is_operational)
      .def("is_ipv6", &NetworkInterface::is_ipv6)
      .def_property_readonly("operational", &NetworkInterface::is_operational)
      .def_property_readonly("ipv6", &NetworkInterface::is_ipv6)
      .def("output", [](const NetworkInterface &i) {
        std::ostringstream out;
        i.output(out);
        return out.str();
      })
      .def("__str__", [](const NetworkInterface &i) {
        std::ostringstream out;
        i.output(out);
        return out.str();
      });
}

}  // namespace queuednet::python
