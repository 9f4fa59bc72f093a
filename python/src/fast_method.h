// Internal to the Python binding. Methods called once per datagram, bound as plain CPython
// METH_FASTCALL functions instead of through pybind11's dispatcher.
//
// Why: a pybind11 call builds a function_call (two heap-allocated vectors), tries each
// overload in turn and converts every argument through its type caster; for a method whose
// C++ work is a few tens of nanoseconds that is most of the call (docs/python-performance.md).
// A fast method handles its common shape itself (positional arguments of the exact bound
// types) and passes every other call (keywords, other overloads, conversions, wrong
// arguments) to the pybind11 overload set it replaces, so behaviour, errors and help() stay
// pybind11's.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "bindings.h"

namespace queuednet::python {

// The C++ object a pybind11 instance wraps, if `object` is an instance of T's bound type or of
// a subclass (Python, or a bound C++ class with single inheritance: the pointer is the same)
// and holds one; nullptr otherwise (the caller hands the call to pybind11, which raises or
// converts). No conversion, no reference taken.
template <class T>
T *cpp_of(PyObject *object) {
  static PyTypeObject *const type = py::detail::get_type_info(typeid(T))->type;
  if (Py_TYPE(object) != type && !PyType_IsSubtype(Py_TYPE(object), type)) return nullptr;
  auto *instance = reinterpret_cast<py::detail::instance *>(object);
  if (!instance->simple_layout) return nullptr;
  return static_cast<T *>(instance->simple_value_holder[0]);
}

// The connection a Connection (its holder) or a PointerToConnection holds, possibly null;
// nullptr if `object` is neither (e.g. None).
inline const std::shared_ptr<Connection> *connection_of(PyObject *object) {
  if (cpp_of<Connection>(object) != nullptr) {
    auto *instance = reinterpret_cast<py::detail::instance *>(object);
    if (!instance->simple_holder_constructed) return nullptr;
    return reinterpret_cast<const std::shared_ptr<Connection> *>(&instance->simple_value_holder[1]);
  }
  return cpp_of<PointerToConnection>(object);
}

// Sets the Python error for the C++ exception being handled, as pybind11's dispatcher does
// (the module's registered translators, then pybind11's own). Call inside catch (...).
void set_error_from_current_exception();

// Calls pybind11's overload set `fallback` (an unbound function: self comes first) with self
// and a vectorcall's arguments.
PyObject *call_fallback(PyObject *fallback, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames);

// Impl::call(self, args, nargs) handles a call without keywords: it returns a new reference,
// or nullptr with no Python error set to hand the call to the pybind11 overloads. It may
// throw (the exception is translated).
template <class Impl>
struct FastMethod {
  static inline PyObject *fallback = nullptr;

  static PyObject *call(PyObject *self, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames) {
    const Py_ssize_t nargs = PyVectorcall_NARGS(static_cast<size_t>(nargsf));
    if (kwnames == nullptr) {
      try {
        if (PyObject *result = Impl::call(self, args, nargs)) return result;
      } catch (...) {
        set_error_from_current_exception();
        return nullptr;
      }
      if (PyErr_Occurred()) return nullptr;
    }
    return call_fallback(fallback, self, args, nargs, kwnames);
  }
};

// Makes `name` (and its camelCase alias) on `cls` a method descriptor calling
// FastMethod<Impl>::call; the pybind11 method bound under `name` so far becomes its fallback
// and gives it its docstring.
void install_fast_method(py::handle cls, const char *name, PyCFunction call, PyObject **fallback);

template <class Impl>
void def_fast(py::handle cls, const char *name) {
  install_fast_method(cls, name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&FastMethod<Impl>::call)),
                      &FastMethod<Impl>::fallback);
}

}  // namespace queuednet::python
