// Internal to the Python binding. What the binding files share: the functions that bind each
// class group, the argument types that accept a Connection, and the registry of live managers.
//
// Naming: every method is bound once under its C++ (snake_case) name; module.cpp then adds
// Panda3D's camelCase alias of each (add_camel_case_aliases), so the two names are always the
// same function object.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <utility>

#include "gil.h"
#include "queuednet/queuednet.h"

namespace queuednet::python {

namespace py = pybind11;

// One function per class group, called by module.cpp in dependency order.
void bind_errors(py::module_ &m);
void bind_datagram(py::module_ &m);
void bind_datagram_iterator(py::module_ &m);
void bind_net_address(py::module_ &m);
void bind_connection(py::module_ &m);
void bind_connection_manager(py::module_ &m);
void bind_connection_reader(py::module_ &m);
void bind_connection_listener(py::module_ &m);
void bind_connection_writer(py::module_ &m);
void bind_statistics(py::module_ &m);
// After the reader, writer and datagram classes: the batch API (bind_batch.cpp) and the fast
// paths of the per-datagram calls (bind_hot_calls.cpp).
void bind_batch(py::module_ &m);
void bind_hot_calls(py::module_ &m);
// After every class: interrogate's `this`, `this_ownership`, `this_const` (bind_identity.cpp).
void bind_identity(py::module_ &m);

// Panda3D's Python name of a C++ method: delete each '_' and upper-case the character after it
// (open_TCP_client_connection -> openTCPClientConnection, get_z_string -> getZString).
std::string camel_case(const std::string &snake);
// Adds the camelCase alias of every public method and static method of `cls` defined so far.
void add_camel_case_aliases(py::handle cls);

// A connection argument: a Connection or a PointerToConnection (Panda3D's code passes either).
// None and other types are refused with a TypeError. A null PointerToConnection passes as null
// (the C++ call then returns false with last_error() set, as for any unusable connection).
struct ConnectionArg {
  std::shared_ptr<Connection> ptr;
};

// A manager is "live" from its construction by Python until its destructor starts. Readers,
// listeners, writers and connections outlive their manager; their get_manager() returns the
// Python manager only while it is live (None afterwards), never a dangling wrapper.
// Thread contract: caller holds the GIL.
void register_live_manager(const ConnectionManager *manager);
void unregister_live_manager(const ConnectionManager *manager);
py::object manager_object(ConnectionManager *manager);

// A C++ object owned by Python whose destructor runs without the GIL.
template <class T, class... Args>
std::shared_ptr<T> make_owned(Args &&...args) {
  return std::shared_ptr<T>(new T(std::forward<Args>(args)...), DeleteWithoutGil{});
}

}  // namespace queuednet::python

namespace pybind11::detail {

template <>
struct type_caster<queuednet::python::ConnectionArg> {
  PYBIND11_TYPE_CASTER(queuednet::python::ConnectionArg, const_name("Connection"));

  bool load(handle src, bool convert) {
    if (src.is_none()) return false;
    make_caster<std::shared_ptr<queuednet::Connection>> direct;
    if (direct.load(src, convert)) {
      value.ptr = static_cast<std::shared_ptr<queuednet::Connection> &>(direct);
      return true;
    }
    make_caster<queuednet::PointerToConnection> pointer;
    if (pointer.load(src, convert)) {
      value.ptr = static_cast<queuednet::PointerToConnection &>(pointer);
      return true;
    }
    return false;
  }
};

}  // namespace pybind11::detail
