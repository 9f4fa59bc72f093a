// Internal to the Python binding. ConnectionWriter. send() never blocks; in polled mode it
// writes on the caller's thread and runs without the GIL, in threaded mode it only hands the
// datagram to a worker and keeps it.
#include "bindings.h"

namespace queuednet::python {

void bind_connection_writer(py::module_ &m) {
  py::class_<ConnectionWriter, std::shared_ptr<ConnectionWriter>>(
      m, "ConnectionWriter",
      "Frames datagrams and hands them to the loop that owns the connection; send() never blocks. "
      "Every method: any thread.")
      .def(py::init([](ConnectionManager &manager, int num_threads) {
             return without_gil([&] { return make_owned<ConnectionWriter>(&manager, num_threads); });
           }),
           py::arg("manager"), py::arg("num_threads"))
      // send: bind_hot_calls.cpp replaces it with a fast path for the TCP call, which hands the
      // calls it does not handle (UDP, keywords, conversions) to these overloads.
      .def("send",
           [](ConnectionWriter &w, const Datagram &datagram, const ConnectionArg &c, bool block) {
             if (w.is_immediate()) return without_gil([&] { return w.send(datagram, c.ptr, block); });
             return w.send(datagram, c.ptr, block);
           },
           py::arg("datagram"), py::arg("connection"), py::arg("block") = false,
           "TCP: queues the framed datagram. False (see last_error()) when the connection is closed, "
           "not TCP, the datagram too large, or the output buffer past its high-water mark (unless block).")
      .def("send",
           [](ConnectionWriter &w, const Datagram &datagram, const ConnectionArg &c, const NetAddress &address,
              bool block) {
             if (w.is_immediate()) return without_gil([&] { return w.send(datagram, c.ptr, address, block); });
             return w.send(datagram, c.ptr, address, block);
           },
           py::arg("datagram"), py::arg("connection"), py::arg("address"), py::arg("block") = false,
           "UDP: one packet to address.")
      .def("is_valid_for_udp", &ConnectionWriter::is_valid_for_udp, py::arg("datagram"))
      .def("get_manager", [](const ConnectionWriter &w) { return manager_object(w.get_manager()); })
      .def("is_immediate", &ConnectionWriter::is_immediate)
      .def("get_num_threads", &ConnectionWriter::get_num_threads)
      .def("set_raw_mode", &ConnectionWriter::set_raw_mode, py::arg("mode"))
      .def("get_raw_mode", &ConnectionWriter::get_raw_mode)
      .def("set_tcp_header_size", &ConnectionWriter::set_tcp_header_size, py::arg("size"))
      .def("get_tcp_header_size", &ConnectionWriter::get_tcp_header_size)
      .def("set_max_queue_size", &ConnectionWriter::set_max_queue_size, py::arg("max_bytes"),
           "High-water mark in bytes per connection (Panda3D counts datagrams).")
      .def("get_max_queue_size", &ConnectionWriter::get_max_queue_size)
      .def("get_current_queue_size", &ConnectionWriter::get_current_queue_size)
      .def("set_hard_limit", &ConnectionWriter::set_hard_limit, py::arg("max_bytes"))
      .def("get_hard_limit", &ConnectionWriter::get_hard_limit)
      .def("shutdown", [](ConnectionWriter &w) { without_gil([&] { w.shutdown(); }); },
           "Later sends return False; what was queued is still written.");
}

}  // namespace queuednet::python
