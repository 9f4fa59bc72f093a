// Internal to the Python binding. Borrowing the bytes of any bytes-like object (bytes,
// bytearray, memoryview, ...) for the duration of a call, without copying.
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>

namespace queuednet::python {

class BytesView {
 public:
  explicit BytesView(pybind11::handle object) {
    if (PyObject_GetBuffer(object.ptr(), &view_, PyBUF_SIMPLE) != 0) throw pybind11::error_already_set();
  }
  ~BytesView() { PyBuffer_Release(&view_); }
  BytesView(const BytesView &) = delete;
  BytesView &operator=(const BytesView &) = delete;

  const unsigned char *data() const { return static_cast<const unsigned char *>(view_.buf); }
  size_t size() const { return static_cast<size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

}  // namespace queuednet::python
