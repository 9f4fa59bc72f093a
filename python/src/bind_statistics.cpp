// Internal to the Python binding. ConnectionStatistics and ManagerStatistics: read-only
// snapshots (see queuednet/statistics.h), with the C++ field names.
#include "bindings.h"

namespace queuednet::python {

void bind_statistics(py::module_ &m) {
  py::class_<ConnectionStatistics>(m, "ConnectionStatistics",
                                   "A snapshot of one connection's counters (eventually consistent).")
      .def_readonly("datagrams_in", &ConnectionStatistics::datagrams_in)
      .def_readonly("bytes_in", &ConnectionStatistics::bytes_in)
      .def_readonly("datagrams_out", &ConnectionStatistics::datagrams_out)
      .def_readonly("bytes_out", &ConnectionStatistics::bytes_out)
      .def_readonly("bytes_queued", &ConnectionStatistics::bytes_queued)
      .def_readonly("datagrams_dropped", &ConnectionStatistics::datagrams_dropped);
  py::class_<ManagerStatistics>(m, "ManagerStatistics",
                                "A snapshot of a manager's counters (eventually consistent).")
      .def_readonly("backend", &ManagerStatistics::backend)
      .def_readonly("num_threads", &ManagerStatistics::num_threads)
      .def_readonly("connections_open", &ManagerStatistics::connections_open)
      .def_readonly("connections_accepted", &ManagerStatistics::connections_accepted)
      .def_readonly("connections_reset", &ManagerStatistics::connections_reset)
      .def_readonly("datagrams_in", &ManagerStatistics::datagrams_in)
      .def_readonly("bytes_in", &ManagerStatistics::bytes_in)
      .def_readonly("datagrams_out", &ManagerStatistics::datagrams_out)
      .def_readonly("bytes_out", &ManagerStatistics::bytes_out)
      .def_readonly("bytes_queued", &ManagerStatistics::bytes_queued)
      .def_readonly("queue_drops", &ManagerStatistics::queue_drops)
      .def_readonly("oversize_frames", &ManagerStatistics::oversize_frames)
      .def_readonly("bad_datagrams", &ManagerStatistics::bad_datagrams)
      .def_readonly("accept_refusals", &ManagerStatistics::accept_refusals)
      .def_readonly("udp_send_failures", &ManagerStatistics::udp_send_failures)
      .def_readonly("loop_turns", &ManagerStatistics::loop_turns)
      .def_readonly("writes", &ManagerStatistics::writes);
}

}  // namespace queuednet::python
