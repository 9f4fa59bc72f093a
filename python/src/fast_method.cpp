// Internal to the Python binding. What every fast method shares (fast_method.h).
#include "fast_method.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace queuednet::python {

void set_error_from_current_exception() {
  try {
    throw;
  } catch (py::error_already_set &e) {
    e.restore();
  } catch (...) {
    if (py::detail::apply_exception_translators(py::detail::get_local_internals().registered_exception_translators) ||
        py::detail::apply_exception_translators(py::detail::get_internals().registered_exception_translators)) {
      return;
    }
    PyErr_SetString(PyExc_SystemError, "queuednet: an exception escaped every exception translator");
  }
}

PyObject *call_fallback(PyObject *fallback, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames) {
  const Py_ssize_t total = nargs + (kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0);
  std::vector<PyObject *> stack(static_cast<size_t>(total) + 1);
  stack[0] = self;
  for (Py_ssize_t i = 0; i < total; ++i) stack[static_cast<size_t>(i) + 1] = args[i];
  return PyObject_Vectorcall(fallback, stack.data(), static_cast<size_t>(nargs) + 1, kwnames);
}

void install_fast_method(py::handle cls, const char *name, PyCFunction call, PyObject **fallback) {
  // pybind11 binds a method as an instancemethod around its overload set.
  const py::object bound = cls.attr(name);
  if (!PyInstanceMethod_Check(bound.ptr())) throw std::logic_error(std::string(name) + ": not a pybind11 method");
  *fallback = py::reinterpret_borrow<py::object>(PyInstanceMethod_GET_FUNCTION(bound.ptr())).release().ptr();
  // The definition and its strings live as long as the process, as the type does.
  const py::object doc = bound.attr("__doc__");
  auto *def = new PyMethodDef{(new std::string(name))->c_str(), call, METH_FASTCALL | METH_KEYWORDS,
                              doc.is_none() ? nullptr : (new std::string(py::str(doc)))->c_str()};
  const py::object descriptor =
      py::reinterpret_steal<py::object>(PyDescr_NewMethod(reinterpret_cast<PyTypeObject *>(cls.ptr()), def));
  if (!descriptor) throw py::error_already_set();
  py::setattr(cls, name, descriptor);
  py::setattr(cls, camel_case(name).c_str(), descriptor);
}

}  // namespace queuednet::python
