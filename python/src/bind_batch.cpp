// Internal to the Python binding. The batch API: QueuedConnectionReader.get_data_batch(n) takes
// up to n datagrams in one call, ConnectionWriter.send_batch(pairs) sends a list of answers in
// one call. Either mixes freely with the per-datagram calls.
//
// A taken datagram is a (bytes, Connection) tuple, (bytes, Connection, NetAddress) for UDP
// (the sender), not a NetDatagram: a NetDatagram object costs a Python object, a C++ object
// and its byte buffer, where bytes cost one allocation (docs/python-performance.md).
// Consecutive datagrams of one connection share one Connection object.
//
// GIL: get_data_batch() never waits and keeps it. send_batch() collects the pairs under it and
// releases it to queue and (polled mode) write them; every object it reads meanwhile is held
// by its own snapshot of the list.
#include <algorithm>
#include <memory>
#include <span>
#include <vector>

#include "bindings.h"
#include "bytes_arg.h"
#include "fast_method.h"

namespace queuednet::python {

namespace {

// Datagrams taken from the reader per get_data() call, into reused NetDatagrams (their
// buffers are kept: no allocation per datagram).
constexpr size_t kChunk = 256;

py::list get_data_batch(QueuedConnectionReader &reader, size_t max_datagrams) {
  // Taken out of the thread's spare while in use: Python code run meanwhile (a finalizer run
  // by an allocation) that takes a batch itself gets a fresh one.
  thread_local std::vector<NetDatagram> spare;
  std::vector<NetDatagram> chunk = std::move(spare);
  chunk.resize(kChunk);
  py::list out;
  const Connection *last = nullptr;
  py::object last_object;
  bool udp = false;
  for (size_t taken = 0; taken < max_datagrams;) {
    const size_t want = std::min(kChunk, max_datagrams - taken);
    const size_t n = reader.get_data(std::span<NetDatagram>(chunk.data(), want));
    for (size_t i = 0; i < n; ++i) {
      NetDatagram &d = chunk[i];
      if (d.get_connection().get() != last || !last_object) {
        last = d.get_connection().get();
        last_object = py::cast(d.get_connection());
        udp = last != nullptr && last->get_kind() == Connection::Kind::udp;
      }
      py::object address = udp ? py::cast(d.get_address()) : py::object();
      PyObject *bytes = PyBytes_FromStringAndSize(reinterpret_cast<const char *>(d.get_data()),
                                                  static_cast<Py_ssize_t>(d.get_length()));
      d.clear();  // lets go of the connection; keeps the buffer
      if (bytes == nullptr) throw py::error_already_set();
      PyObject *item = PyTuple_New(udp ? 3 : 2);
      if (item == nullptr) {
        Py_DECREF(bytes);
        throw py::error_already_set();
      }
      PyTuple_SET_ITEM(item, 0, bytes);
      PyTuple_SET_ITEM(item, 1, last_object.inc_ref().ptr());
      if (udp) PyTuple_SET_ITEM(item, 2, address.release().ptr());
      const int appended = PyList_Append(out.ptr(), item);
      Py_DECREF(item);
      if (appended != 0) throw py::error_already_set();
    }
    taken += n;
    if (n < want) break;
  }
  spare = std::move(chunk);
  return out;
}

// What send_batch reads with the GIL released, kept alive and unchanged until it returns.
struct Batch {
  py::tuple items;                                   // the caller's pairs (a tuple holds them)
  std::vector<py::tuple> pairs;                      // pairs given as other sequences, as tuples
  std::vector<std::unique_ptr<BytesView>> buffers;   // payloads other than bytes and Datagram
  std::vector<std::shared_ptr<Connection>> pointers; // PointerToConnection targets (mutable objects)
  std::vector<ConnectionWriter::Outgoing> outgoing;
};

void add_pair(Batch &batch, PyObject *item) {
  PyObject *pair = item;
  if (!PyTuple_Check(item)) {
    batch.pairs.push_back(py::reinterpret_steal<py::tuple>(PySequence_Tuple(item)));
    pair = batch.pairs.back().ptr();
    if (pair == nullptr) {
      PyErr_Clear();
      throw py::type_error("send_batch: each item must be a (datagram, connection) pair");
    }
  }
  if (PyTuple_GET_SIZE(pair) != 2) throw py::type_error("send_batch: each item must be a (datagram, connection) pair");
  PyObject *payload = PyTuple_GET_ITEM(pair, 0);
  PyObject *connection = PyTuple_GET_ITEM(pair, 1);
  const std::shared_ptr<Connection> *target = connection_of(connection);
  if (target == nullptr) throw py::type_error("send_batch: a pair's second item must be a Connection");
  if (cpp_of<Connection>(connection) == nullptr) {  // a PointerToConnection may be reassigned meanwhile
    batch.pointers.push_back(*target);
    target = &batch.pointers.back();
  }
  if (PyBytes_Check(payload)) {
    batch.outgoing.push_back({PyBytes_AS_STRING(payload), static_cast<size_t>(PyBytes_GET_SIZE(payload)), target});
  } else if (const Datagram *d = cpp_of<Datagram>(payload)) {
    batch.outgoing.push_back({d->get_data(), d->get_length(), target});
  } else {
    batch.buffers.push_back(std::make_unique<BytesView>(payload));
    batch.outgoing.push_back({batch.buffers.back()->data(), batch.buffers.back()->size(), target});
  }
}

size_t send_batch(ConnectionWriter &writer, const py::handle &items, bool block) {
  Batch batch;
  batch.items = py::reinterpret_steal<py::tuple>(PySequence_Tuple(items.ptr()));
  if (!batch.items) throw py::error_already_set();
  const size_t n = batch.items.size();
  batch.pairs.reserve(n);     // pointers into these vectors stay valid
  batch.pointers.reserve(n);
  batch.outgoing.reserve(n);
  for (size_t i = 0; i < n; ++i) add_pair(batch, PyTuple_GET_ITEM(batch.items.ptr(), static_cast<Py_ssize_t>(i)));
  if (!writer.is_immediate()) return writer.send_batch(batch.outgoing, block);
  return without_gil([&] { return writer.send_batch(batch.outgoing, block); });
}

}  // namespace

void bind_batch(py::module_ &m) {
  py::class_<QueuedConnectionReader, ConnectionReader, std::shared_ptr<QueuedConnectionReader>>(
      m.attr("QueuedConnectionReader"))
      .def("get_data_batch", &get_data_batch, py::arg("max_datagrams"),
           "queuednet: takes up to max_datagrams queued datagrams in one call: a list of (bytes, "
           "Connection) pairs in queue order ((bytes, Connection, sender NetAddress) for UDP), empty "
           "when none is queued. Never waits (polled mode: data_available() or wait_for_data() read "
           "the sockets).");
  py::class_<ConnectionWriter, std::shared_ptr<ConnectionWriter>>(m.attr("ConnectionWriter"))
      .def("send_batch", &send_batch, py::arg("pairs"), py::arg("block") = false,
           "queuednet: sends each (datagram, connection) pair of a sequence, as send() would one "
           "after the other (TCP; the datagram is bytes, any bytes-like object or a Datagram), in "
           "one call: in polled mode the batch is written once its last datagram is queued (one "
           "system call per connection). Returns how many were accepted (see last_error() for a "
           "refusal). Releases the GIL while it queues and writes.");
}

}  // namespace queuednet::python
