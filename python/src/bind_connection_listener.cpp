// Internal to the Python binding. ConnectionListener and QueuedConnectionListener.
#include "bindings.h"
#include "readiness_fileno.h"

namespace queuednet::python {

void bind_connection_listener(py::module_ &m) {
  py::class_<ConnectionListener, std::shared_ptr<ConnectionListener>>(
      m, "ConnectionListener",
      "The rendezvous sockets whose new connections a listener receives. Not constructed directly "
      "(use QueuedConnectionListener). Every method: any thread.")
      .def("add_connection", [](ConnectionListener &l, const ConnectionArg &c) { return l.add_connection(c.ptr); },
           py::arg("rendezvous"), "Starts accepting on a rendezvous from open_TCP_server_rendezvous.")
      .def("remove_connection",
           [](ConnectionListener &l, const ConnectionArg &c) { return l.remove_connection(c.ptr); },
           py::arg("rendezvous"))
      .def("is_connection_ok", [](ConnectionListener &l, const ConnectionArg &c) { return l.is_connection_ok(c.ptr); },
           py::arg("rendezvous"))
      .def("poll",
           [](ConnectionListener &l) {
             if (l.is_polling()) without_gil([&] { l.poll(); });
           },
           "Polled mode: accepts whatever is ready, without blocking (releases the GIL).")
      .def("get_manager", [](const ConnectionListener &l) { return manager_object(l.get_manager()); })
      .def("is_polling", &ConnectionListener::is_polling)
      .def("get_num_threads", &ConnectionListener::get_num_threads)
      .def("get_num_accept_refusals", &ConnectionListener::get_num_accept_refusals,
           "How often accepting paused for lack of descriptors (pending connections are kept).")
      .def("shutdown", [](ConnectionListener &l) { without_gil([&] { l.shutdown(); }); });

  py::class_<QueuedConnectionListener, ConnectionListener, std::shared_ptr<QueuedConnectionListener>>(
      m, "QueuedConnectionListener",
      "New connections wait in a queue; each reaches exactly one caller of get_new_connection.")
      .def(py::init([](ConnectionManager &manager, int num_threads) {
             return without_gil([&] { return make_owned<QueuedConnectionListener>(&manager, num_threads); });
           }),
           py::arg("manager"), py::arg("num_threads"))
      .def("new_connection_available",
           [](QueuedConnectionListener &l) {
             if (l.is_polling()) return without_gil([&] { return l.new_connection_available(); });
             return l.new_connection_available();
           },
           "True if a new connection is queued; in polled mode polls first (never blocks; releases the GIL).")
      .def("wait_for_connection",
           [](QueuedConnectionListener &l, double timeout) {
             return without_gil([&] { return l.wait_for_connection(timeout); });
           },
           py::arg("timeout"), "Waits up to timeout seconds for a new connection. Releases the GIL.")
      .def("get_new_connection",
           [](QueuedConnectionListener &l, PointerToConnection &rendezvous, NetAddress &address,
              PointerToConnection &new_connection) { return l.get_new_connection(rendezvous, address, new_connection); },
           py::arg("rendezvous"), py::arg("address"), py::arg("new_connection"),
           "Pops the oldest into the objects passed in (PointerToConnection, NetAddress, "
           "PointerToConnection); False (untouched) when none.")
      .def("get_new_connection",
           [](QueuedConnectionListener &l, PointerToConnection &new_connection) {
             return l.get_new_connection(new_connection);
           },
           py::arg("new_connection"))
      .def("set_max_queue_size", &QueuedConnectionListener::set_max_queue_size, py::arg("max_size"))
      .def("get_max_queue_size", &QueuedConnectionListener::get_max_queue_size)
      .def("get_current_queue_size", &QueuedConnectionListener::get_current_queue_size)
      .def("get_overflow_flag", &QueuedConnectionListener::get_overflow_flag)
      .def("reset_overflow_flag", &QueuedConnectionListener::reset_overflow_flag)
      .def("get_num_dropped", &QueuedConnectionListener::get_num_dropped)
      .def("fileno", &readiness_fileno<QueuedConnectionListener>, kFilenoDoc)
      .def("get_readiness_fd", &QueuedConnectionListener::get_readiness_fd, "As fileno(), but -1 (see last_error()) on failure.");
}

}  // namespace queuednet::python
