// Internal to the Python binding. fileno() of QueuedConnectionReader, QueuedConnectionListener
// and QueuedConnectionManager: their readiness descriptor (get_readiness_fd), so selectors and
// asyncio's loop.add_reader accept the objects themselves. A descriptor that cannot be made
// raises: io.UnsupportedOperation (what fileno() raises for an object without one) in polled
// mode on the poll backend, OSError otherwise.
#pragma once

#include <system_error>

#include "bindings.h"

namespace queuednet::python {

template <class Object>
int readiness_fileno(Object &object) {
  const int fd = object.get_readiness_fd();
  if (fd >= 0) return fd;
  const Error &error = last_error();
  if (error.code == std::errc::operation_not_supported) {
    const py::object unsupported = py::module_::import("io").attr("UnsupportedOperation");
    PyErr_SetString(unsupported.ptr(), error.message.c_str());
    throw py::error_already_set();
  }
  // An errno only where the code is one; queuednet's own codes (shut down, ...) are not.
  const std::error_category &category = error.code.category();
  if (category == std::generic_category() || category == std::system_category()) {
    PyErr_SetObject(PyExc_OSError, py::make_tuple(error.code.value(), error.message).ptr());
  } else {
    PyErr_SetString(PyExc_OSError, error.message.c_str());
  }
  throw py::error_already_set();
}

inline constexpr const char *kFilenoDoc =
    "The readiness descriptor (get_readiness_fd): readable while something is queued here, "
    "level-triggered; after it fires, take until the *_available() call returns False. In polled "
    "mode also readable on socket activity, so the caller's event loop can sleep on it alone. "
    "Raises io.UnsupportedOperation in polled mode on the poll backend.";

}  // namespace queuednet::python
