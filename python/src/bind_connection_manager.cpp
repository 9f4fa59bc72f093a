// Internal to the Python binding. ConnectionManager and QueuedConnectionManager, with the thread
// count and backend chosen at construction; the registry of live managers.
#include <pybind11/stl.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "bindings.h"
#include "readiness_fileno.h"

namespace queuednet::python {

namespace {

// Guarded by the GIL.
std::unordered_set<const ConnectionManager *> &live_managers() {
  static auto *managers = new std::unordered_set<const ConnectionManager *>();  // never destroyed
  return *managers;
}

// The manager's deleter: it stops being live (get_manager() answers None) before its
// destructor starts, while the GIL is still held; the destructor, which flushes queued output
// and joins the workers, runs without the GIL.
struct UnregisterThenDelete {
  void operator()(ConnectionManager *manager) const {
    unregister_live_manager(manager);
    DeleteWithoutGil{}(manager);
  }
};

template <class Manager>
std::shared_ptr<Manager> make_manager(int num_threads, BackendKind backend) {
  // Constructing starts the workers (and probes the backend): no Python needed.
  Manager *manager = without_gil([&] { return new Manager(num_threads, backend); });
  register_live_manager(manager);
  return std::shared_ptr<Manager>(manager, UnregisterThenDelete{});
}

BackendKind backend_named(const std::string &name) {
  const auto kind = parse_backend_kind(name);
  if (!kind) throw py::value_error("unknown backend '" + name + "': use auto, io_uring, epoll or poll");
  return *kind;
}

// Binds the constructors (num_threads, backend) with backend an enum member or its name.
template <class Manager, class Class>
void def_constructors(Class &cls) {
  cls.def(py::init([](int num_threads, BackendKind backend) { return make_manager<Manager>(num_threads, backend); }),
          py::arg("num_threads") = 0, py::arg("backend") = BackendKind::automatic,
          "num_threads 0: polled mode (the caller's loop does the I/O, as in the Panda3D manual); N: "
          "N worker threads. RuntimeError if the backend cannot start here.")
      .def(py::init([](int num_threads, const std::string &backend) {
             return make_manager<Manager>(num_threads, backend_named(backend));
           }),
           py::arg("num_threads"), py::arg("backend"), "backend by name: 'auto', 'io_uring', 'epoll' or 'poll'.");
}

}  // namespace

void register_live_manager(const ConnectionManager *manager) { live_managers().insert(manager); }
void unregister_live_manager(const ConnectionManager *manager) { live_managers().erase(manager); }

py::object manager_object(ConnectionManager *manager) {
  if (manager == nullptr || live_managers().count(manager) == 0) return py::none();
  return py::cast(manager, py::return_value_policy::reference);
}

void bind_connection_manager(py::module_ &m) {
  py::class_<ConnectionManager, std::shared_ptr<ConnectionManager>> cm(
      m, "ConnectionManager",
      "Opens and closes connections and owns the event loops that serve them. Failures return None/False "
      "as in Panda3D, with the reason in last_error(). Every method: any thread. Calls that can wait "
      "release the GIL, and so does its destruction (which writes queued output first, bounded by "
      "set_close_timeout). Readers, listeners, writers and connections may outlive it.");
  def_constructors<ConnectionManager>(cm);
  cm.def("open_UDP_connection",
         [](ConnectionManager &c, uint16_t port) { return without_gil([&] { return c.open_UDP_connection(port); }); },
         py::arg("port") = 0, "UDP socket bound to port on every interface (unbound when 0); None on failure.")
      .def("open_UDP_connection",
           [](ConnectionManager &c, const std::string &host, uint16_t port, bool for_broadcast) {
             return without_gil([&] { return c.open_UDP_connection(host, port, for_broadcast); });
           },
           py::arg("hostname"), py::arg("port"), py::arg("for_broadcast") = false)
      .def("open_TCP_server_rendezvous",
           [](ConnectionManager &c, uint16_t port, int backlog) {
             return without_gil([&] { return c.open_TCP_server_rendezvous(port, backlog); });
           },
           py::arg("port"), py::arg("backlog"),
           "Listening socket on every interface (dual-stack); None on failure (see last_error()).")
      .def("open_TCP_server_rendezvous",
           [](ConnectionManager &c, const std::string &host, uint16_t port, int backlog) {
             return without_gil([&] { return c.open_TCP_server_rendezvous(host, port, backlog); });
           },
           py::arg("hostname"), py::arg("port"), py::arg("backlog"))
      .def("open_TCP_server_rendezvous",
           [](ConnectionManager &c, const NetAddress &address, int backlog) {
             return without_gil([&] { return c.open_TCP_server_rendezvous(address, backlog); });
           },
           py::arg("address"), py::arg("backlog"))
      .def("open_TCP_client_connection",
           [](ConnectionManager &c, const std::string &host, uint16_t port, int timeout_ms) {
             return without_gil([&] { return c.open_TCP_client_connection(host, port, timeout_ms); });
           },
           py::arg("hostname"), py::arg("port"), py::arg("timeout_ms"),
           "Connects within timeout_ms (trying each resolved address); None on failure. Releases the GIL.")
      .def("open_TCP_client_connection",
           [](ConnectionManager &c, const NetAddress &address, int timeout_ms) {
             return without_gil([&] { return c.open_TCP_client_connection(address, timeout_ms); });
           },
           py::arg("address"), py::arg("timeout_ms"))
      .def("close_connection", [](ConnectionManager &c, const ConnectionArg &conn) { return c.close_connection(conn.ptr); },
           py::arg("connection"),
           "Writes what was queued (in the background), then closes. False if it was not open here. "
           "Never blocks.")
      .def("wait_for_readers",
           [](ConnectionManager &c, double timeout) { return without_gil([&] { return c.wait_for_readers(timeout); }); },
           py::arg("timeout"),
           "Polled mode: runs the loop up to timeout seconds (negative: forever); True on socket "
           "activity. Threaded: False at once. Releases the GIL.")
      .def_static("get_host_name", &ConnectionManager::get_host_name)
      .def("scan_interfaces", &ConnectionManager::scan_interfaces)
      .def("get_num_interfaces", &ConnectionManager::get_num_interfaces)
      .def("get_interface", &ConnectionManager::get_interface, py::arg("n"))
      .def("get_interfaces",
           [](ConnectionManager &c) {
             std::vector<NetworkInterface> all;
             for (size_t i = 0; i < c.get_num_interfaces(); ++i) all.push_back(c.get_interface(i));
             return all;
           })
      .def_property_readonly("interfaces",
                             [](ConnectionManager &c) {
                               std::vector<NetworkInterface> all;
                               for (size_t i = 0; i < c.get_num_interfaces(); ++i) all.push_back(c.get_interface(i));
                               return all;
                             })
      .def_property_readonly_static("host_name", [](const py::object &) { return ConnectionManager::get_host_name(); })
      .def("get_num_threads", &ConnectionManager::get_num_threads, "Worker threads (0: polled mode).")
      .def("get_backend", &ConnectionManager::get_backend)
      .def_static("is_backend_available", &ConnectionManager::is_backend_available, py::arg("kind"))
      .def("set_close_timeout", &ConnectionManager::set_close_timeout, py::arg("seconds"))
      .def("get_close_timeout", &ConnectionManager::get_close_timeout)
      .def("get_num_connections", &ConnectionManager::get_num_connections)
      .def("set_default_no_delay", &ConnectionManager::set_default_no_delay, py::arg("flag"),
           "TCP_NODELAY on new TCP connections (default True).")
      .def("get_default_no_delay", &ConnectionManager::get_default_no_delay)
      .def("get_statistics", &ConnectionManager::get_statistics, "A snapshot of the manager's counters.");
  cm.attr("Interface") = m.attr("NetworkInterface");

  py::class_<QueuedConnectionManager, ConnectionManager, std::shared_ptr<QueuedConnectionManager>> qcm(
      m, "QueuedConnectionManager",
      "A ConnectionManager that reports lost connections through a queue: each exactly once, after "
      "every datagram it delivered. Every method: any thread.");
  def_constructors<QueuedConnectionManager>(qcm);
  qcm.def("reset_connection_available", &QueuedConnectionManager::reset_connection_available,
          "True if a reset report is waiting (no I/O).")
      .def("get_reset_connection",
           [](QueuedConnectionManager &c, PointerToConnection &connection) { return c.get_reset_connection(connection); },
           py::arg("connection"),
           "Pops the oldest report into the PointerToConnection; False (untouched) when none.")
      .def("set_max_queue_size", &QueuedConnectionManager::set_max_queue_size, py::arg("max_size"))
      .def("get_max_queue_size", &QueuedConnectionManager::get_max_queue_size)
      .def("get_current_queue_size", &QueuedConnectionManager::get_current_queue_size)
      .def("get_overflow_flag", &QueuedConnectionManager::get_overflow_flag)
      .def("reset_overflow_flag", &QueuedConnectionManager::reset_overflow_flag)
      .def("fileno", &readiness_fileno<QueuedConnectionManager>,
           "The reset queue's readiness descriptor, as QueuedConnectionReader.fileno(); in polled mode "
           "turn the loop (a reader's poll()) before taking resets when it fires.")
      .def("get_readiness_fd", &QueuedConnectionManager::get_readiness_fd, "As fileno(), but -1 (see last_error()) on failure.");
}

}  // namespace queuednet::python
