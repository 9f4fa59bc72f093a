// Internal to the Python binding. Connection (held by shared_ptr, as the library holds it) and
// PointerToConnection, Panda3D's out-parameter type with p().
#include <cstdint>
#include <string>

#include "bindings.h"

namespace queuednet::python {

namespace {

std::string describe(const Connection &c) {
  static constexpr const char *kKinds[] = {"tcp_stream", "tcp_listener", "udp"};
  return std::string("<Connection ") + kKinds[static_cast<int>(c.get_kind())] + " " + c.get_address().to_string() +
         (c.is_open() ? "" : " closed") + ">";
}

}  // namespace

void bind_connection(py::module_ &m) {
  py::class_<Connection, std::shared_ptr<Connection>> conn(
      m, "Connection",
      "One socket (TCP stream, TCP listening rendezvous, or UDP) opened through a ConnectionManager. "
      "Two objects for the same socket compare equal, hash alike and have the same `this` (the C++ "
      "object's address, as interrogate's). Every method: any thread.");
  py::enum_<Connection::Kind>(conn, "Kind")
      .value("tcp_stream", Connection::Kind::tcp_stream)
      .value("tcp_listener", Connection::Kind::tcp_listener)
      .value("udp", Connection::Kind::udp);
  conn.def("get_address", &Connection::get_address,
           "TCP stream: the peer's address. Listener and UDP: the local bound address.")
      .def("get_manager", [](const Connection &c) { return manager_object(c.get_manager()); },
           "The manager that opened it; None once that manager is destroyed.")
      .def("get_kind", &Connection::get_kind)
      .def("get_fd", &Connection::get_fd, "The socket descriptor (-1 once closed).")
      .def("is_open", &Connection::is_open)
      .def("get_statistics", &Connection::get_statistics, "A snapshot of this connection's counters.")
      .def("get_pending_output", &Connection::get_pending_output,
           "Bytes handed to writers and not yet taken by the kernel.")
      .def("set_no_delay", &Connection::set_no_delay, py::arg("flag"))
      .def("set_linger", &Connection::set_linger, py::arg("flag"), py::arg("seconds"))
      .def("set_reuse_addr", &Connection::set_reuse_addr, py::arg("flag"))
      .def("set_keep_alive", &Connection::set_keep_alive, py::arg("flag"))
      .def("set_recv_buffer_size", &Connection::set_recv_buffer_size, py::arg("size"))
      .def("set_send_buffer_size", &Connection::set_send_buffer_size, py::arg("size"))
      .def("set_collect_tcp", &Connection::set_collect_tcp, py::arg("flag"))
      .def("get_collect_tcp", &Connection::get_collect_tcp)
      .def("set_collect_tcp_interval", &Connection::set_collect_tcp_interval, py::arg("interval"))
      .def("get_collect_tcp_interval", &Connection::get_collect_tcp_interval)
      .def("consider_flush", &Connection::consider_flush, "Never blocks.")
      .def("flush", &Connection::flush, "Never blocks.")
      .def("__eq__", [](const Connection &a, const ConnectionArg &b) { return &a == b.ptr.get(); }, py::is_operator())
      .def("__ne__", [](const Connection &a, const ConnectionArg &b) { return &a != b.ptr.get(); }, py::is_operator())
      .def("__hash__", [](const Connection &c) { return reinterpret_cast<std::uintptr_t>(&c); })
      .def("__repr__", &describe);

  py::class_<PointerToConnection>(m, "PointerToConnection",
                                  "Panda3D's PT(Connection) out-parameter: pass one to get_new_connection or "
                                  "get_reset_connection, then p() gives the Connection (or None). Not thread "
                                  "safe; one object per thread.")
      .def(py::init<>())
      .def(py::init([](const ConnectionArg &c) { return PointerToConnection(c.ptr); }), py::arg("connection"))
      .def("p", [](const PointerToConnection &p) -> std::shared_ptr<Connection> { return p; },
           "The Connection, or None when null.")
      .def("is_null", &PointerToConnection::is_null)
      .def("clear", &PointerToConnection::clear, "Drops the reference.")
      .def("__eq__", [](const PointerToConnection &a, const ConnectionArg &b) { return a.get() == b.ptr.get(); },
           py::is_operator())
      .def("__eq__", [](const PointerToConnection &a, const py::none &) { return a.is_null(); }, py::is_operator())
      .def("__ne__", [](const PointerToConnection &a, const ConnectionArg &b) { return a.get() != b.ptr.get(); },
           py::is_operator())
      .def("__ne__", [](const PointerToConnection &a, const py::none &) { return !a.is_null(); }, py::is_operator())
      // Equal objects hash alike: a pointer hashes as its Connection (Panda3D's PointerTo
      // get_hash is the address), a null one as None.
      .def("__hash__",
           [](const PointerToConnection &p) -> py::ssize_t {
             return p.is_null() ? py::hash(py::none()) : static_cast<py::ssize_t>(reinterpret_cast<std::uintptr_t>(p.get()));
           })
      .def("__repr__", [](const PointerToConnection &p) {
        return p.is_null() ? std::string("<PointerToConnection null>") : "<PointerToConnection " + describe(*p) + ">";
      });
}

}  // namespace queuednet::python
