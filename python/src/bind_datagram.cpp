// Internal to the Python binding. Datagram and NetDatagram: Panda3D's Python Datagram (bytes
// in and out, ==, pickling, assign, len) with every add_* of docs/wire-format.md.
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "bindings.h"
#include "bytes_arg.h"

namespace queuednet::python {

namespace {

template <class T>
[[noreturn]] void out_of_range(const py::int_ &value, const char *method) {
  PyErr_Clear();
  throw std::overflow_error(std::string(method) + ": " + py::repr(value).cast<std::string>() + " is out of range (" +
                            std::to_string(std::numeric_limits<T>::min()) + " to " +
                            std::to_string(std::numeric_limits<T>::max()) + ")");
}

// A Python int converted to T, or OverflowError naming the method, the value and the range
// (Panda3D raises OverflowError too; silently truncating would put other bytes on the wire).
template <class T>
T to_integer(const py::int_ &value, const char *method) {
  if constexpr (std::is_signed_v<T>) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
    if (overflow != 0 || (v == -1 && PyErr_Occurred())) out_of_range<T>(value, method);
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) out_of_range<T>(value, method);
    return static_cast<T>(v);
  } else {
    const unsigned long long v = PyLong_AsUnsignedLongLong(value.ptr());  // negative: error
    if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) out_of_range<T>(value, method);
    if (v > std::numeric_limits<T>::max()) out_of_range<T>(value, method);
    return static_cast<T>(v);
  }
}

// add_<name>(int) with a range check, for each integer type.
template <class T, void (Datagram::*Add)(T)>
void def_add_integer(py::class_<Datagram> &cls, const char *name) {
  cls.def(name, [name](Datagram &d, const py::int_ &value) { (d.*Add)(to_integer<T>(value, name)); },
          py::arg("value"));
}

py::bytes message_bytes(const Datagram &d) {
  return py::bytes(reinterpret_cast<const char *>(d.get_array().data()), d.get_length());
}

template <class T>
std::string stream_to_string(const T &object, unsigned int indent, void (T::*print)(std::ostream &, unsigned int) const) {
  std::ostringstream out;
  (object.*print)(out, indent);
  return out.str();
}

// Writes text to `out` (any object with write()), or to sys.stdout when None.
void write_text(const py::object &out, const std::string &text) {
  py::object target = out.is_none() ? py::module_::import("sys").attr("stdout") : out;
  target.attr("write")(text);
}

}  // namespace

void bind_datagram(py::module_ &m) {
  py::class_<Datagram> dg(m, "Datagram",
                          "A growable byte buffer with Panda3D's element encodings (little-endian unless "
                          "'be'; see docs/wire-format.md). Copies are independent. One object is not "
                          "thread safe; distinct objects are.");
  dg.def(py::init<>())
      .def(py::init<const Datagram &>(), py::arg("copy"), "A copy of the bytes (and the stdfloat flag).")
      .def(py::init([](const py::buffer &data) {
             BytesView bytes(data);
             return Datagram(bytes.data(), bytes.size());
           }),
           py::arg("data"), "The bytes of any bytes-like object.")
      .def("clear", &Datagram::clear, "Drops every byte (the stdfloat flag is kept).")
      .def("add_bool", &Datagram::add_bool, py::arg("value"))
      .def("add_float32", &Datagram::add_float32, py::arg("value"))
      .def("add_float64", &Datagram::add_float64, py::arg("value"))
      .def("add_stdfloat", &Datagram::add_stdfloat, py::arg("value"),
           "float32, or float64 after set_stdfloat_double(True). The flag is not transmitted.")
      .def("add_be_float32", &Datagram::add_be_float32, py::arg("value"))
      .def("add_be_float64", &Datagram::add_be_float64, py::arg("value"));
  def_add_integer<int8_t, &Datagram::add_int8>(dg, "add_int8");
  def_add_integer<uint8_t, &Datagram::add_uint8>(dg, "add_uint8");
  def_add_integer<int16_t, &Datagram::add_int16>(dg, "add_int16");
  def_add_integer<uint16_t, &Datagram::add_uint16>(dg, "add_uint16");
  def_add_integer<int32_t, &Datagram::add_int32>(dg, "add_int32");
  def_add_integer<uint32_t, &Datagram::add_uint32>(dg, "add_uint32");
  def_add_integer<int64_t, &Datagram::add_int64>(dg, "add_int64");
  def_add_integer<uint64_t, &Datagram::add_uint64>(dg, "add_uint64");
  def_add_integer<int16_t, &Datagram::add_be_int16>(dg, "add_be_int16");
  def_add_integer<uint16_t, &Datagram::add_be_uint16>(dg, "add_be_uint16");
  def_add_integer<int32_t, &Datagram::add_be_int32>(dg, "add_be_int32");
  def_add_integer<uint32_t, &Datagram::add_be_uint32>(dg, "add_be_uint32");
  def_add_integer<int64_t, &Datagram::add_be_int64>(dg, "add_be_int64");
  def_add_integer<uint64_t, &Datagram::add_be_uint64>(dg, "add_be_uint64");

  // Strings: str is encoded as UTF-8; bytes are taken as they are.
  dg.def("add_string", [](Datagram &d, std::string_view s) { d.add_string(s); }, py::arg("value"),
         "uint16 length + bytes; DatagramError past 65535 bytes (nothing appended).")
      .def("add_string32", [](Datagram &d, std::string_view s) { d.add_string32(s); }, py::arg("value"))
      .def("add_z_string", [](Datagram &d, std::string_view s) { d.add_z_string(s); }, py::arg("value"),
           "Bytes up to the first NUL, then a NUL.")
      .def("add_fixed_string", [](Datagram &d, std::string_view s, size_t size) { d.add_fixed_string(s, size); },
           py::arg("value"), py::arg("size"), "Exactly `size` bytes: truncated or zero-padded.")
      .def("add_wstring", [](Datagram &d, const std::wstring &s) { d.add_wstring(s); }, py::arg("value"),
           "uint32 character count, then each character as uint16 (above U+FFFF truncated).")
      .def("add_blob",
           [](Datagram &d, const py::buffer &data) {
             BytesView bytes(data);
             d.add_blob(vector_uchar(bytes.data(), bytes.data() + bytes.size()));
           },
           py::arg("data"), "uint16 length + bytes; DatagramError past 65535 bytes (nothing appended).")
      .def("add_blob32",
           [](Datagram &d, const py::buffer &data) {
             BytesView bytes(data);
             d.add_blob32(vector_uchar(bytes.data(), bytes.data() + bytes.size()));
           },
           py::arg("data"))
      .def("pad_bytes", &Datagram::pad_bytes, py::arg("size"), "Appends `size` zero bytes.")
      .def("append_data",
           [](Datagram &d, const py::buffer &data) {
             BytesView bytes(data);
             d.append_data(bytes.data(), bytes.size());
           },
           py::arg("data"), "Appends the raw bytes of a bytes-like object.")
      .def("get_message", &message_bytes, "The bytes, as bytes.")
      .def("__bytes__", &message_bytes)
      .def("get_length", &Datagram::get_length)
      .def("__len__", &Datagram::get_length)
      .def("get_array", &message_bytes, "The bytes, as bytes (a copy).")
      .def("set_array",
           [](Datagram &d, const py::buffer &data) {
             BytesView bytes(data);
             d.set_array(bytes.data(), bytes.size());
           },
           py::arg("data"), "Replaces the bytes.")
      .def("copy_array",
           [](Datagram &d, const py::buffer &data) {
             BytesView bytes(data);
             d.set_array(bytes.data(), bytes.size());
           },
           py::arg("data"), "Replaces the bytes (as set_array).")
      .def("set_stdfloat_double", &Datagram::set_stdfloat_double, py::arg("flag"))
      .def("get_stdfloat_double", &Datagram::get_stdfloat_double)
      .def("assign", [](Datagram &d, const Datagram &other) -> Datagram & { return d = other; }, py::arg("copy"),
           py::return_value_policy::reference_internal, "Panda3D's operator=: copies the bytes of `copy`.")
      .def("dump_hex",
           [](const Datagram &d, const py::object &out, unsigned int indent) {
             write_text(out, stream_to_string(d, indent, &Datagram::dump_hex));
           },
           py::arg("out") = py::none(), py::arg("indent") = 0,
           "Hex dump, 16 bytes a line, to `out` (anything with write()) or sys.stdout.")
      .def("write",
           [](const Datagram &d, const py::object &out, unsigned int indent) {
             write_text(out, stream_to_string(d, indent, &Datagram::write));
           },
           py::arg("out") = py::none(), py::arg("indent") = 0)
      .def("output", [](const Datagram &d) {
        std::ostringstream out;
        d.output(out);
        return out.str();
      })
      .def("__str__", [](const Datagram &d) {
        std::ostringstream out;
        d.output(out);
        return out.str();
      })
      .def("__repr__",
           [](const py::object &self) {
             return std::string(py::str(py::type::of(self).attr("__name__"))) + "(" +
                    std::string(py::repr(message_bytes(self.cast<const Datagram &>()))) + ")";
           })
      .def("__eq__", [](const Datagram &a, const Datagram &b) { return a == b; }, py::is_operator())
      .def("__ne__", [](const Datagram &a, const Datagram &b) { return !(a == b); }, py::is_operator())
      .def("__lt__", [](const Datagram &a, const Datagram &b) { return a < b; }, py::is_operator())
      .def("__copy__", [](const Datagram &d) { return Datagram(d); })
      .def("__deepcopy__", [](const Datagram &d, const py::object &) { return Datagram(d); }, py::arg("memo"))
      .def("__reduce__", [](const Datagram &d) {
        // As Panda3D: pickles as Datagram(bytes); subclass, connection, address and the
        // stdfloat flag are not kept.
        return py::make_tuple(py::type::of<Datagram>(), py::make_tuple(message_bytes(d)));
      });

  py::class_<NetDatagram, Datagram>(m, "NetDatagram",
                                    "A Datagram with the Connection it arrived on (or is bound for) and the "
                                    "peer's address, as QueuedConnectionReader.get_data fills it.")
      .def(py::init<>())
      .def(py::init<const NetDatagram &>(), py::arg("copy"), "Copies bytes, connection and address.")
      .def(py::init<const Datagram &>(), py::arg("copy"), "The bytes only; connection and address empty.")
      .def(py::init([](const py::buffer &data) {
             BytesView bytes(data);
             return NetDatagram(bytes.data(), bytes.size());
           }),
           py::arg("data"))
      .def("assign", [](NetDatagram &d, const NetDatagram &other) -> NetDatagram & { return d = other; },
           py::arg("copy"), py::return_value_policy::reference_internal, "Copies bytes, connection and address.")
      .def("assign", [](NetDatagram &d, const Datagram &other) -> NetDatagram & { return d = other; },
           py::arg("copy"), py::return_value_policy::reference_internal,
           "Copies the bytes and clears connection and address, as Panda3D.")
      .def("clear", &NetDatagram::clear, "Clears bytes, connection and address.")
      .def("set_connection", [](NetDatagram &d, const ConnectionArg &c) { d.set_connection(c.ptr); },
           py::arg("connection"), "A Connection or a PointerToConnection.")
      .def("set_connection", [](NetDatagram &d, const py::none &) { d.set_connection(nullptr); },
           py::arg("connection"), "None: no connection.")
      // bind_hot_calls.cpp replaces get_connection with a fast path; calls it does not handle
      // come here.
      .def("get_connection", [](const NetDatagram &d) { return d.get_connection(); },
           "The Connection, or None.")
      .def("set_address", &NetDatagram::set_address, py::arg("address"))
      .def("get_address", &NetDatagram::get_address)
      .def("__copy__", [](const NetDatagram &d) { return NetDatagram(d); })
      .attr("maximum_udp_datagram") = NetDatagram::maximum_udp_datagram;
}

}  // namespace queuednet::python
