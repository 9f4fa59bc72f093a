#!/usr/bin/env python3
"""Micro-benchmarks of the Python binding's own cost per call, in one process on loopback:
getData into one NetDatagram (the queue prefilled), dataAvailable with data queued,
NetDatagram.getConnection, getDataBatch per datagram taken, a threaded send (hand-off to a
worker) and sendBatch per datagram sent, and building and reading a 4-field datagram.

    PYTHONPATH=build-bench/python python3 bench/python_binding_bench.py [COUNT]

Prints one line per operation: nanoseconds per call (best of 3 rounds of COUNT calls).
"""

import socket
import sys
import time

import queuednet as qn

count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000


def best_of_3(setup, run):
    best = None
    for _ in range(3):
        state = setup()
        start = time.perf_counter_ns()
        run(state)
        elapsed = (time.perf_counter_ns() - start) / count
        best = elapsed if best is None else min(best, elapsed)
    return best


manager = qn.QueuedConnectionManager(1)
listener = qn.QueuedConnectionListener(manager, 0)
reader = qn.QueuedConnectionReader(manager, 0)
writer = qn.ConnectionWriter(manager, 0)
reader.setMaxQueueSize(10 * count)
reader.setInputBudget(10 * count, 1 << 30)  # the queue holds a whole round of one connection
rendezvous = manager.openTCPServerRendezvous("127.0.0.1", 0, 10)
listener.addConnection(rendezvous)
peer = socket.create_connection(("127.0.0.1", rendezvous.getAddress().getPort()))
connection = qn.PointerToConnection()
while not (listener.waitForConnection(1) and listener.getNewConnection(connection)):
    pass
connection = connection.p()
reader.addConnection(connection)
frames = b"".join(len(p).to_bytes(2, "little") + p for p in [b"x" * 32] * count)


def fill():
    peer.sendall(frames)
    deadline = time.monotonic() + 30
    while reader.getCurrentQueueSize() < count and time.monotonic() < deadline:
        reader.waitForData(0.01)
        time.sleep(0.001)
    assert reader.getCurrentQueueSize() >= count, "the queue did not fill"


def get_data(_):
    datagram = qn.NetDatagram()
    get = reader.getData
    for _ in range(count):
        get(datagram)


def data_available(_):
    available = reader.dataAvailable
    for _ in range(count):
        available()


def get_connection(_):
    datagram = qn.NetDatagram()
    reader.getData(datagram)
    get = datagram.getConnection
    for _ in range(count):
        get()


def get_data_batch(_):
    take = reader.getDataBatch
    taken = 0
    while taken < count:
        taken += len(take(256))


def drain():
    datagram = qn.NetDatagram()
    while reader.getData(datagram):
        pass


def send(_):
    dg = qn.Datagram(b"y" * 32)
    s = writer.send
    for _ in range(count):
        s(dg, connection)


def send_batch(_):
    pairs = [(b"y" * 32, connection)] * 256
    s = writer.sendBatch
    for _ in range(count // 256):
        s(pairs)


def build_and_read(_):
    for i in range(count):
        dg = qn.Datagram()
        dg.addUint8(1)
        dg.addUint32(i)
        dg.addString("hello")
        dg.addFloat64(0.5)
        it = qn.DatagramIterator(dg)
        it.getUint8(), it.getUint32(), it.getString(), it.getFloat64()


def drain_peer():
    peer.setblocking(False)
    try:
        while peer.recv(1 << 20):
            pass
    except BlockingIOError:
        pass
    peer.setblocking(True)


def empty_loop(_):
    for _ in range(count):
        pass


loop = best_of_3(lambda: None, empty_loop)
print("python loop overhead: %.0f ns per iteration (not subtracted below)" % loop)
print("getData(NetDatagram), queue full: %.0f ns" % best_of_3(fill, get_data))
fill()
print("dataAvailable(), data queued (threaded): %.0f ns" % best_of_3(lambda: None, data_available))
print("NetDatagram.getConnection(): %.0f ns" % best_of_3(lambda: None, get_connection))
drain()
print("getDataBatch(256), per datagram, queue full: %.0f ns" % best_of_3(fill, get_data_batch))
print("send(Datagram, Connection), threaded hand-off: %.0f ns" % best_of_3(drain_peer, send))
print("sendBatch(256 pairs), per datagram, threaded hand-off: %.0f ns" % best_of_3(drain_peer, send_batch))
print("Datagram: 4 adds + DatagramIterator + 4 gets: %.0f ns" % best_of_3(lambda: None, build_and_read))
peer.close()
