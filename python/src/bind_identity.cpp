// Internal to the Python binding. Interrogate's identity attributes, which Panda3D programs use
// to tell wrapped objects apart:
//   this            the address of the C++ object: the same integer for every Python wrapper
//                   of one object (for a Connection also its hash()).
//   this_ownership  whether the wrapper owns the object (created it, or holds a reference to
//                   a reference-counted one); false for a view into another object.
//   this_const      whether the wrapper is read-only; never here (no binding hands out one).
// Interrogate's this_metatype (its own type descriptor) has no counterpart: use type(obj).
#include <cstdint>

#include "bindings.h"

namespace queuednet::python {

namespace {

template <class T>
void def_identity(py::module_ &m, const char *name) {
  const py::object type = m.attr(name);
  py::class_<T> cls(type);
  cls.def_property_readonly(
         "this", [](const T &object) { return reinterpret_cast<std::uintptr_t>(&object); },
         "The address of the C++ object: equal for every Python object that wraps it.")
      .def_property_readonly(
          "this_ownership",
          [](py::handle self) { return reinterpret_cast<py::detail::instance *>(self.ptr())->owned; },
          "True when this Python object owns (or holds a reference to) the C++ object.")
      .def_property_readonly(
          "this_const", [](py::handle) { return false; }, "Always False: no wrapper is read-only.");
}

}  // namespace

void bind_identity(py::module_ &m) {
  // A derived class (NetDatagram, the Queued* classes) inherits its base's attributes: single
  // inheritance, so the base object's address is the derived object's.
  def_identity<Connection>(m, "Connection");
  def_identity<PointerToConnection>(m, "PointerToConnection");
  def_identity<NetAddress>(m, "NetAddress");
  def_identity<NetworkInterface>(m, "NetworkInterface");
  def_identity<Datagram>(m, "Datagram");
  def_identity<DatagramIterator>(m, "DatagramIterator");
  def_identity<ConnectionManager>(m, "ConnectionManager");
  def_identity<ConnectionReader>(m, "ConnectionReader");
  def_identity<ConnectionListener>(m, "ConnectionListener");
  def_identity<ConnectionWriter>(m, "ConnectionWriter");
}

}  // namespace queuednet::python
