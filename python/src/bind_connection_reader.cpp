// Internal to the Python binding. ConnectionReader and QueuedConnectionReader.
//
// GIL: in polled mode data_available() and poll() read the sockets on the caller's thread, and
// wait_for_data() waits; they run without the GIL. get_data() never waits and keeps it: it
// moves a queued datagram into the NetDatagram passed in, with no allocation of its own.
#include "bindings.h"
#include "readiness_fileno.h"

namespace queuednet::python {

void bind_connection_reader(py::module_ &m) {
  py::class_<ConnectionReader, std::shared_ptr<ConnectionReader>>(
      m, "ConnectionReader",
      "The connections whose datagrams a reader receives, and how it frames them. Not constructed "
      "directly (use QueuedConnectionReader). Every method: any thread.")
      .def("add_connection", [](ConnectionReader &r, const ConnectionArg &c) { return r.add_connection(c.ptr); },
           py::arg("connection"),
           "Starts receiving from a TCP stream or UDP connection; False (see last_error()) if null, "
           "already added, a listening socket, closed, or after shutdown.")
      .def("remove_connection",
           [](ConnectionReader &r, const ConnectionArg &c) { return r.remove_connection(c.ptr); },
           py::arg("connection"))
      .def("is_connection_ok", [](ConnectionReader &r, const ConnectionArg &c) { return r.is_connection_ok(c.ptr); },
           py::arg("connection"))
      .def("poll",
           [](ConnectionReader &r) {
             if (r.is_polling()) without_gil([&] { r.poll(); });
           },
           "Polled mode: reads whatever is ready, without blocking (releases the GIL). Threaded: nothing.")
      .def("get_manager", [](const ConnectionReader &r) { return manager_object(r.get_manager()); },
           "The manager; None once it is destroyed.")
      .def("is_polling", &ConnectionReader::is_polling)
      .def("get_num_threads", &ConnectionReader::get_num_threads)
      .def("set_raw_mode", &ConnectionReader::set_raw_mode, py::arg("mode"))
      .def("get_raw_mode", &ConnectionReader::get_raw_mode)
      .def("set_tcp_header_size", &ConnectionReader::set_tcp_header_size, py::arg("size"), "0, 2 or 4.")
      .def("get_tcp_header_size", &ConnectionReader::get_tcp_header_size)
      .def("set_max_datagram_size", &ConnectionReader::set_max_datagram_size, py::arg("size"))
      .def("get_max_datagram_size", &ConnectionReader::get_max_datagram_size)
      .def("get_num_bad_datagrams", &ConnectionReader::get_num_bad_datagrams)
      .def("get_num_oversize_frames", &ConnectionReader::get_num_oversize_frames)
      .def("get_num_datagrams_received", &ConnectionReader::get_num_datagrams_received)
      .def("get_num_bytes_received", &ConnectionReader::get_num_bytes_received)
      .def("set_input_budget", &ConnectionReader::set_input_budget, py::arg("max_datagrams"), py::arg("max_bytes"),
           "Per connection: datagrams and bytes it may have queued, not yet taken; past either the "
           "connection is not read until the application catches up.")
      .def("get_input_budget_datagrams", &ConnectionReader::get_input_budget_datagrams)
      .def("get_input_budget_bytes", &ConnectionReader::get_input_budget_bytes)
      .def("start_delay", &ConnectionReader::start_delay, py::arg("min_delay"), py::arg("max_delay"),
           "Fault injection: datagrams become available after a random delay (seconds), in order.")
      .def("stop_delay", &ConnectionReader::stop_delay)
      .def("set_udp_drop_probability", &ConnectionReader::set_udp_drop_probability, py::arg("probability"),
           "Fault injection: drop each received UDP packet with this probability.")
      .def("get_num_udp_dropped", &ConnectionReader::get_num_udp_dropped)
      .def("shutdown", [](ConnectionReader &r) { without_gil([&] { r.shutdown(); }); },
           "Removes every connection; queued datagrams stay gettable. Idempotent.");

  py::class_<QueuedConnectionReader, ConnectionReader, std::shared_ptr<QueuedConnectionReader>>(
      m, "QueuedConnectionReader",
      "A reader whose datagrams wait in a queue. Any number of threads may call data_available()/"
      "get_data() at once: each datagram reaches exactly one caller, and one caller sees each "
      "connection's datagrams in order.")
      .def(py::init([](ConnectionManager &manager, int num_threads) {
             return without_gil([&] { return make_owned<QueuedConnectionReader>(&manager, num_threads); });
           }),
           py::arg("manager"), py::arg("num_threads"))
      // data_available and get_data: bind_hot_calls.cpp replaces them with fast paths, which hand
      // the calls they do not handle (keywords, conversions) to these overloads.
      .def("data_available",
           [](QueuedConnectionReader &r) {
             if (r.is_polling()) return without_gil([&] { return r.data_available(); });
             return r.data_available();
           },
           "True if a datagram is queued; in polled mode polls first (never blocks; releases the GIL).")
      .def("wait_for_data",
           [](QueuedConnectionReader &r, double timeout) {
             return without_gil([&] { return r.wait_for_data(timeout); });
           },
           py::arg("timeout"),
           "Waits up to timeout seconds for a datagram; True if one is queued. Releases the GIL. "
           "Polled mode: turns the loop meanwhile and may return early after any socket activity.")
      .def("get_data", [](QueuedConnectionReader &r, NetDatagram &result) { return r.get_data(result); },
           py::arg("datagram"),
           "Pops the oldest datagram into the NetDatagram passed in, with its connection and address; "
           "False (untouched) when the queue is empty.")
      .def("get_data", [](QueuedConnectionReader &r, Datagram &result) { return r.get_data(result); },
           py::arg("datagram"), "Same, into a plain Datagram: bytes only.")
      .def("set_max_queue_size", &QueuedConnectionReader::set_max_queue_size, py::arg("max_size"))
      .def("get_max_queue_size", &QueuedConnectionReader::get_max_queue_size)
      .def("get_current_queue_size", &QueuedConnectionReader::get_current_queue_size)
      .def("get_overflow_flag", &QueuedConnectionReader::get_overflow_flag)
      .def("reset_overflow_flag", &QueuedConnectionReader::reset_overflow_flag)
      .def("get_num_dropped", &QueuedConnectionReader::get_num_dropped)
      .def("fileno", &readiness_fileno<QueuedConnectionReader>, kFilenoDoc)
      .def("get_readiness_fd", &QueuedConnectionReader::get_readiness_fd, "As fileno(), but -1 (see last_error()) on failure.");
}

}  // namespace queuednet::python
