// Internal to the Python binding. Running C++ without the GIL, and destroying C++ objects
// without it.
//
// Every call that can wait (sockets polled on the caller's thread, wait_*, connecting, a
// manager's destructor that flushes and joins its workers) runs through without_gil() so other
// Python threads keep running. The GIL is taken back outside any destructor: if the
// interpreter is finalizing, a daemon thread taking the GIL is ended with a forced unwind, which
// must not pass through a noexcept destructor (pybind11's gil_scoped_release has one).
#pragma once

#include <Python.h>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace queuednet::python {

// Runs f() with the GIL released; returns its result or rethrows its exception once the GIL is
// held again. Thread contract: caller holds the GIL.
template <class F>
auto without_gil(F &&f) -> decltype(f()) {
  using Result = decltype(f());
  PyThreadState *state = PyEval_SaveThread();
  std::exception_ptr error;
  if constexpr (std::is_void_v<Result>) {
    try {
      f();
    } catch (...) {
      error = std::current_exception();
    }
    PyEval_RestoreThread(state);
    if (error) std::rethrow_exception(error);
  } else {
    std::optional<Result> result;
    try {
      result.emplace(f());
    } catch (...) {
      error = std::current_exception();
    }
    PyEval_RestoreThread(state);
    if (error) std::rethrow_exception(error);
    return std::move(*result);
  }
}

// shared_ptr deleter for objects whose destructor may wait (managers flush and join workers;
// readers, listeners and writers synchronise with the event loops): the GIL is released while
// the object is destroyed. Only Python holds these shared_ptrs, so the last reference always
// drops with the GIL held; the check covers anything else.
struct DeleteWithoutGil {
  template <class T>
  void operator()(T *object) const {
    if (PyGILState_Check()) {
      without_gil([object] { delete object; });
    } else {
      delete object;
    }
  }
};

}  // namespace queuednet::python
