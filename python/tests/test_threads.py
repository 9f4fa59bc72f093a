"""Threads and the GIL: consumer threads share a reader (each datagram exactly once, each
consumer sees a connection's datagrams in order), and every call that can wait lets other
Python threads run."""

import errno
import socket
import struct
import threading
import time

import pytest

import queuednet as qn
from conftest import Client, Server, eventually, frame2, raw_client


def test_four_consumer_threads_get_each_datagram_exactly_once_in_order_per_connection():
    server = Server(threads=2)
    clients, per_client = 8, 400
    sockets = [raw_client(server.port) for _ in range(clients)]
    for _ in range(clients):
        assert server.accept() is not None
    for cid, sock in enumerate(sockets):
        sock.sendall(b"".join(frame2(struct.pack("<II", cid, seq)) for seq in range(per_client)))

    total = clients * per_client
    seen = [[] for _ in range(4)]
    lock = threading.Lock()
    taken = [0]

    def consume(mine):
        datagram = qn.NetDatagram()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if taken[0] >= total:
                    return
            if server.reader.getData(datagram):
                mine.append(struct.unpack("<II", bytes(datagram)))
                with lock:
                    taken[0] += 1
            else:
                server.reader.waitForData(0.05)

    threads = [threading.Thread(target=consume, args=(seen[i],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = sorted(x for mine in seen for x in mine)
    assert everything == [(cid, seq) for cid in range(clients) for seq in range(per_client)]  # exactly once
    for mine in seen:  # in order per connection, for each consumer
        for cid in range(clients):
            seqs = [seq for c, seq in mine if c == cid]
            assert seqs == sorted(seqs)
    for sock in sockets:
        sock.close()


class OtherThread:
    """A Python thread that records when it runs, to see whether a call released the GIL."""

    def __init__(self):
        self.stamps = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        while not self.stop.is_set():
            self.stamps.append(time.monotonic())
            time.sleep(0.001)

    def ran_during(self, call):
        """Runs call() on this thread; returns (its duration, whether the other thread ran in the
        middle of it)."""
        self.thread.start()
        eventually(lambda: len(self.stamps) > 0)
        start = time.monotonic()
        call()
        end = time.monotonic()
        self.stop.set()
        self.thread.join()
        middle = [s for s in self.stamps if start + 0.05 < s < end - 0.05]
        return end - start, len(middle) > 0


@pytest.mark.parametrize("what", ["wait_for_data", "wait_for_connection", "wait_for_readers"])
def test_waiting_calls_release_the_gil(threads, what):
    server = Server(threads)
    calls = {"wait_for_data": lambda: server.reader.waitForData(0.3),
             "wait_for_connection": lambda: server.listener.waitForConnection(0.3),
             "wait_for_readers": lambda: server.manager.waitForReaders(0.3)}
    if what == "wait_for_readers" and threads:
        pytest.skip("threaded mode: wait_for_readers returns at once")
    duration, released = OtherThread().ran_during(calls[what])
    assert duration >= 0.25
    assert released


def test_connecting_releases_the_gil():
    # A listener whose backlog is full drops the SYN: the connect waits for its timeout.
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    port = full.getsockname()[1]
    pending = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        pending.append(s)
    manager = qn.QueuedConnectionManager()
    result = []
    duration, released = OtherThread().ran_during(
        lambda: result.append(manager.openTCPClientConnection("127.0.0.1", port, 400)))
    if result[0] is not None:
        pytest.skip("this kernel completed the connection despite the full backlog")
    error = qn.last_error()
    assert duration >= 0.35 and (error.errc == qn.errc.connect_timeout or error.value == errno.ETIMEDOUT)
    assert released
    for s in pending + [full]:
        s.close()


def test_manager_destruction_that_flushes_releases_the_gil(threads):
    # The peer never reads: destroying the manager spends its close timeout trying to write.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    manager = qn.QueuedConnectionManager(threads)
    writer = qn.ConnectionWriter(manager, 0)
    connection = manager.openTCPClientConnection("127.0.0.1", silent.getsockname()[1], 5000)
    assert connection
    peer, _ = silent.accept()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    chunk = qn.Datagram(b"x" * 60000)
    for _ in range(200):  # 12 MB: more than the socket buffers take
        assert writer.send(chunk, connection, True)
    manager.setCloseTimeout(0.5)
    holder = [manager]
    del manager
    duration, released = OtherThread().ran_during(lambda: holder.clear())
    assert duration >= 0.4  # it waited for the close timeout...
    assert released  # ...without the GIL
    assert writer.getManager() is None and not writer.send(chunk, connection)
    peer.close()
    silent.close()


def test_polled_data_available_releases_the_gil_while_it_reads():
    # A consumer thread in wait_for_data and the main thread in data_available poll the same
    # manager at once; both see the datagrams (nothing deadlocks on the GIL).
    server = Server(0)
    client = Client(server.port)
    connection = server.accept()
    assert connection is not None
    got = []

    def consumer():
        datagram = qn.NetDatagram()
        deadline = time.monotonic() + 20
        while len(got) < 100 and time.monotonic() < deadline:
            if server.reader.waitForData(0.05) and server.reader.getData(datagram):
                got.append(bytes(datagram))

    t = threading.Thread(target=consumer)
    t.start()
    for i in range(100):
        assert client.writer.send(qn.Datagram(struct.pack("<I", i)), client.connection)
        client.reader.poll()  # a polled client's output goes out as its loop turns
        server.reader.dataAvailable()
    t.join()
    assert got == [struct.pack("<I", i) for i in range(100)]
