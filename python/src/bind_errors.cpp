// Internal to the Python binding. Errors: the errc codes, last_error(), DatagramError, and the
// backend enum.
#include <string>

#include "bindings.h"

namespace queuednet::python {

void bind_errors(py::module_ &m) {
  py::enum_<errc>(m, "errc", "queuednet's own failure reasons (OS failures carry errno values).")
      .value("ok", errc::ok)
      .value("datagram_too_large", errc::datagram_too_large)
      .value("host_not_found", errc::host_not_found)
      .value("connect_timeout", errc::connect_timeout)
      .value("output_buffer_full", errc::output_buffer_full)
      .value("slow_consumer", errc::slow_consumer)
      .value("connection_closed", errc::connection_closed)
      .value("wrong_connection_kind", errc::wrong_connection_kind)
      .value("already_added", errc::already_added)
      .value("not_found", errc::not_found)
      .value("bad_frame", errc::bad_frame)
      .value("shut_down", errc::shut_down)
      .value("invalid_argument", errc::invalid_argument);

  py::class_<Error>(m, "Error",
                    "Why the last failing call on this thread failed (see last_error()). A value: "
                    "later failures do not change it.")
      .def_property_readonly("value", [](const Error &e) { return e.code.value(); },
                             "The code's integer value (an errno value when category is 'generic').")
      .def_property_readonly("category", [](const Error &e) { return std::string(e.code.category().name()); },
                             "'queuednet' for errc codes, 'generic' for errno values.")
      .def_property_readonly(
          "errc",
          [](const Error &e) -> py::object {
            if (e.code.category() != queuednet_category()) return py::none();
            return py::cast(static_cast<errc>(e.code.value()));
          },
          "The errc member when category is 'queuednet', else None.")
      .def_readonly("message", &Error::message, "What failed, with its arguments.")
      .def("__bool__", [](const Error &e) { return static_cast<bool>(e.code); })
      .def("__repr__", [](const Error &e) {
        return "<queuednet.Error " + std::string(e.code.category().name()) + ":" + std::to_string(e.code.value()) +
               " '" + e.message + "'>";
      });

  m.def("last_error", [] { return last_error(); },
        "The last error recorded on the calling thread (false when none since clear_last_error()). "
        "Calls that return None/False as in Panda3D record here why. Any thread; each sees its own.");
  m.def("clear_last_error", &clear_last_error, "Forgets the calling thread's last error. Any thread.");

  // Raised when a DatagramIterator read would pass the end (and by add_string/add_blob past
  // 65535 bytes). Derives from AssertionError, what Panda3D raises there, and from IndexError.
  static py::handle datagram_error;  // owned by the module from here on
  PyObject *bases = PyTuple_Pack(2, PyExc_AssertionError, PyExc_IndexError);
  datagram_error = PyErr_NewExceptionWithDoc(
      "queuednet.DatagramError",
      "A read past the end of a datagram, or a string/blob too long for its length prefix. "
      "Subclass of AssertionError (what Panda3D raises) and IndexError.",
      bases, nullptr);
  Py_XDECREF(bases);
  if (datagram_error.ptr() == nullptr) throw py::error_already_set();
  m.add_object("DatagramError", datagram_error);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const DatagramError &e) {
      PyErr_SetString(datagram_error.ptr(), e.what());
    }
  });

  py::enum_<BackendKind> backend(m, "BackendKind",
                         "Which kernel interface the event loops use; automatic probes io_uring, epoll, "
                         "poll in that order (QUEUEDNET_BACKEND overrides).");
  backend.value("automatic", BackendKind::automatic)
      .value("io_uring", BackendKind::io_uring)
      .value("epoll", BackendKind::epoll)
      .value("poll", BackendKind::poll);
  // str() gives the name the library uses ("io_uring"); set directly, as enum_ already has one.
  backend.attr("__str__") = py::cpp_function([](BackendKind k) { return std::string(to_string(k)); },
                                             py::name("__str__"), py::is_method(backend));
}

}  // namespace queuednet::python
