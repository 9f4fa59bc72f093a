// Internal to the Python binding. The calls of the manual's loop, made once per datagram,
// given fast paths (fast_method.h): QueuedConnectionReader.data_available and get_data,
// NetDatagram.get_connection, ConnectionWriter.send (TCP). Each handles its usual positional
// call itself and hands any other call to the pybind11 overloads bound in the class's own file.
//
// GIL: data_available() keeps it when a datagram is queued (it returns at once, no system
// call) and releases it when it polls the sockets (polled mode, queue empty). send() releases
// it in polled mode, where it may write on the caller's thread, and keeps it with workers.
// get_data() and get_connection() never wait and keep it.
#include "bindings.h"
#include "fast_method.h"

namespace queuednet::python {

namespace {

PyObject *py_bool(bool value) { return Py_NewRef(value ? Py_True : Py_False); }

struct DataAvailable {
  static PyObject *call(PyObject *self, PyObject *const *, Py_ssize_t nargs) {
    QueuedConnectionReader *r = cpp_of<QueuedConnectionReader>(self);
    if (r == nullptr || nargs != 0) return nullptr;
    if (!r->is_polling() || r->get_current_queue_size() > 0) return py_bool(r->data_available());
    return py_bool(without_gil([r] { return r->data_available(); }));
  }
};

struct GetData {
  static PyObject *call(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    QueuedConnectionReader *r = cpp_of<QueuedConnectionReader>(self);
    if (r == nullptr || nargs != 1) return nullptr;
    if (NetDatagram *d = cpp_of<NetDatagram>(args[0])) return py_bool(r->get_data(*d));
    if (Datagram *d = cpp_of<Datagram>(args[0])) return py_bool(r->get_data(*d));
    return nullptr;
  }
};

struct GetConnection {
  static PyObject *call(PyObject *self, PyObject *const *, Py_ssize_t nargs) {
    NetDatagram *d = cpp_of<NetDatagram>(self);
    if (d == nullptr || nargs != 0) return nullptr;
    return py::cast(d->get_connection()).release().ptr();
  }
};

// send(datagram, connection[, block]) for TCP; the UDP overload (an address third) goes to
// pybind11.
struct Send {
  static PyObject *call(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    ConnectionWriter *w = cpp_of<ConnectionWriter>(self);
    if (w == nullptr || nargs < 2 || nargs > 3) return nullptr;
    const Datagram *d = cpp_of<Datagram>(args[0]);
    const std::shared_ptr<Connection> *c = connection_of(args[1]);
    if (d == nullptr || c == nullptr) return nullptr;
    bool block = false;
    if (nargs == 3) {
      if (!PyBool_Check(args[2])) return nullptr;  // the UDP overload, or a conversion
      block = args[2] == Py_True;
    }
    if (!w->is_immediate()) return py_bool(w->send(*d, *c, block));
    // The GIL is released: another thread may reassign a PointerToConnection meanwhile, so the
    // send works on its own reference.
    std::shared_ptr<Connection> connection = *c;
    return py_bool(without_gil([&] { return w->send(*d, connection, block); }));
  }
};

}  // namespace

void bind_hot_calls(py::module_ &m) {
  def_fast<DataAvailable>(m.attr("QueuedConnectionReader"), "data_available");
  def_fast<GetData>(m.attr("QueuedConnectionReader"), "get_data");
  def_fast<GetConnection>(m.attr("NetDatagram"), "get_connection");
  def_fast<Send>(m.attr("ConnectionWriter"), "send");
}

}  // namespace queuednet::python
