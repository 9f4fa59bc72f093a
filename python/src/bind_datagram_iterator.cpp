// Internal to the Python binding. DatagramIterator: every get_* of docs/wire-format.md; a read
// past the end raises DatagramError and moves nothing.
//
// The iterator keeps its datagram alive (keep_alive), and every read first checks that the
// datagram did not shrink under it (Python code may clear or refill a datagram that is being
// iterated; the C++ contract forbids it, Python must not crash on it).
#include <pybind11/stl.h>

#include <sstream>
#include <string>

#include "bindings.h"

namespace queuednet::python {

namespace {

void check_not_shrunk(const DatagramIterator &it) {
  // No datagram (a default iterator: its reads raise on their own) or exactly at the end.
  if (it.get_remaining_size() == 0) return;
  if (it.get_current_index() > it.get_datagram().get_length()) {
    throw DatagramError("the datagram was shortened to " + std::to_string(it.get_datagram().get_length()) +
                        " byte(s) while an iterator was at offset " + std::to_string(it.get_current_index()));
  }
}

// Binds a fixed-size read after the shrink check.
template <auto Read>
auto checked() {
  return [](DatagramIterator &it) {
    check_not_shrunk(it);
    return (it.*Read)();
  };
}

// A string read decoded as UTF-8 (Panda3D returns str). On a decoding error the iterator is put
// back where it was and UnicodeDecodeError is raised: read such payloads with get_blob.
template <class Read>
py::str decoded(DatagramIterator &it, Read read) {
  check_not_shrunk(it);
  const DatagramIterator saved = it;
  const std::string bytes = read(it);
  PyObject *text = PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()), nullptr);
  if (text == nullptr) {
    it = saved;
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::str>(text);
}

py::bytes as_bytes(const vector_uchar &v) { return py::bytes(reinterpret_cast<const char *>(v.data()), v.size()); }

}  // namespace

void bind_datagram_iterator(py::module_ &m) {
  py::class_<DatagramIterator>(m, "DatagramIterator",
                               "Reads Panda3D element encodings back out of a Datagram, which it keeps "
                               "alive. A read past the end raises DatagramError and moves nothing. One "
                               "object is not thread safe.")
      .def(py::init<>())
      .def(py::init<const Datagram &, size_t>(), py::arg("datagram"), py::arg("offset") = 0, py::keep_alive<1, 2>(),
           "DatagramError if offset is past the end.")
      .def("get_bool", checked<&DatagramIterator::get_bool>())
      .def("get_int8", checked<&DatagramIterator::get_int8>())
      .def("get_uint8", checked<&DatagramIterator::get_uint8>())
      .def("get_int16", checked<&DatagramIterator::get_int16>())
      .def("get_uint16", checked<&DatagramIterator::get_uint16>())
      .def("get_int32", checked<&DatagramIterator::get_int32>())
      .def("get_uint32", checked<&DatagramIterator::get_uint32>())
      .def("get_int64", checked<&DatagramIterator::get_int64>())
      .def("get_uint64", checked<&DatagramIterator::get_uint64>())
      .def("get_float32", checked<&DatagramIterator::get_float32>())
      .def("get_float64", checked<&DatagramIterator::get_float64>())
      .def("get_stdfloat", checked<&DatagramIterator::get_stdfloat>(),
           "float32 or float64 according to the iterated datagram's stdfloat flag.")
      .def("get_be_int16", checked<&DatagramIterator::get_be_int16>())
      .def("get_be_uint16", checked<&DatagramIterator::get_be_uint16>())
      .def("get_be_int32", checked<&DatagramIterator::get_be_int32>())
      .def("get_be_uint32", checked<&DatagramIterator::get_be_uint32>())
      .def("get_be_int64", checked<&DatagramIterator::get_be_int64>())
      .def("get_be_uint64", checked<&DatagramIterator::get_be_uint64>())
      .def("get_be_float32", checked<&DatagramIterator::get_be_float32>())
      .def("get_be_float64", checked<&DatagramIterator::get_be_float64>())
      .def("peek_int16", checked<&DatagramIterator::peek_int16>(), "The next int16, without advancing.")
      .def("peek_uint16", checked<&DatagramIterator::peek_uint16>(), "The next uint16, without advancing.")
      .def("get_string", [](DatagramIterator &it) { return decoded(it, [](DatagramIterator &i) { return i.get_string(); }); },
           "uint16 length + UTF-8 bytes, as str.")
      .def("get_string32",
           [](DatagramIterator &it) { return decoded(it, [](DatagramIterator &i) { return i.get_string32(); }); })
      .def("get_z_string",
           [](DatagramIterator &it) { return decoded(it, [](DatagramIterator &i) { return i.get_z_string(); }); })
      .def("get_fixed_string",
           [](DatagramIterator &it, size_t size) {
             return decoded(it, [size](DatagramIterator &i) { return i.get_fixed_string(size); });
           },
           py::arg("size"), "Consumes exactly `size` bytes; the result stops at the first NUL.")
      .def("get_wstring",
           [](DatagramIterator &it) {
             check_not_shrunk(it);
             return it.get_wstring();
           })
      .def("get_blob",
           [](DatagramIterator &it) {
             check_not_shrunk(it);
             return as_bytes(it.get_blob());
           },
           "uint16 length + bytes, as bytes.")
      .def("get_blob32",
           [](DatagramIterator &it) {
             check_not_shrunk(it);
             return as_bytes(it.get_blob32());
           })
      .def("skip_bytes",
           [](DatagramIterator &it, size_t size) {
             check_not_shrunk(it);
             it.skip_bytes(size);
           },
           py::arg("size"))
      .def("extract_bytes",
           [](DatagramIterator &it, size_t size) {
             check_not_shrunk(it);
             return as_bytes(it.extract_bytes(size));
           },
           py::arg("size"))
      .def("get_remaining_bytes",
           [](const DatagramIterator &it) {
             check_not_shrunk(it);
             return py::bytes(it.get_remaining_bytes());
           },
           "Everything from the current position to the end, as bytes (does not advance).")
      .def("get_remaining_size",
           [](const DatagramIterator &it) {
             check_not_shrunk(it);
             return it.get_remaining_size();
           })
      .def("get_datagram", &DatagramIterator::get_datagram, py::return_value_policy::reference_internal)
      .def("get_current_index", &DatagramIterator::get_current_index)
      .def("output", [](const DatagramIterator &it) {
        std::ostringstream out;
        it.output(out);
        return out.str();
      })
      .def("__str__", [](const DatagramIterator &it) {
        std::ostringstream out;
        it.output(out);
        return out.str();
      });
}

}  // namespace queuednet::python
