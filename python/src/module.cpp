// Internal to the Python binding. The extension module queuednet._queuednet: binds every class
// group, then gives every method its Panda3D camelCase name next to its C++ name.
#include <cctype>
#include <string>

#include "bindings.h"

namespace queuednet::python {

std::string camel_case(const std::string &snake) {
  std::string out;
  out.reserve(snake.size());
  bool upper_next = false;
  for (char c : snake) {
    if (c == '_') {
      upper_next = true;
      continue;
    }
    out.push_back(upper_next ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper_next = false;
  }
  return out;
}

void add_camel_case_aliases(py::handle cls) {
  const py::dict members = cls.attr("__dict__");
  for (const auto &[key, value] : members) {
    const std::string name = py::str(key);
    if (name.empty() || name.front() == '_' || name.find('_') == std::string::npos) continue;
    // Methods (instancemethod wrappers) and static methods; not enum members or properties.
    const bool method = PyInstanceMethod_Check(value.ptr()) || py::isinstance<py::staticmethod>(value);
    if (!method) continue;
    const std::string alias = camel_case(name);
    if (!members.contains(alias)) py::setattr(cls, alias.c_str(), value);
  }
}

namespace {

// Aliases for every class defined in the module, and for module-level functions.
void add_all_aliases(py::module_ &m) {
  const py::dict members = m.attr("__dict__");
  for (const auto &[key, value] : members) {
    const std::string name = py::str(key);
    if (name.empty() || name.front() == '_') continue;
    if (py::isinstance<py::type>(value)) {
      add_camel_case_aliases(value);
      // Nested classes (ConnectionManager.Interface is the top-level NetworkInterface).
    } else if (PyCFunction_Check(value.ptr()) && name.find('_') != std::string::npos) {
      const std::string alias = camel_case(name);
      if (!members.contains(alias)) m.attr(alias.c_str()) = value;
    }
  }
}

}  // namespace
}  // namespace queuednet::python

PYBIND11_MODULE(_queuednet, m) {
  using namespace queuednet::python;
  m.doc() = "queuednet: Panda3D's connection layer (QueuedConnectionManager, QueuedConnectionListener, "
            "QueuedConnectionReader, ConnectionWriter, Datagram, ...) over io_uring/epoll/poll, with "
            "Panda3D's Python names. Import it as `queuednet`.";
  // Classes report the package they are imported from (queuednet.Datagram, not
  // queuednet._queuednet.Datagram): pickles and reprs name the public module.
  const py::object real_name = m.attr("__name__");
  m.attr("__name__") = "queuednet";
  bind_errors(m);
  bind_datagram(m);
  bind_datagram_iterator(m);
  bind_net_address(m);
  bind_statistics(m);
  bind_connection(m);
  bind_connection_manager(m);
  bind_connection_reader(m);
  bind_connection_listener(m);
  bind_connection_writer(m);
  bind_batch(m);
  bind_hot_calls(m);
  bind_identity(m);
  add_all_aliases(m);
  m.attr("__name__") = real_name;
}
