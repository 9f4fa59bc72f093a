"""fileno() of QueuedConnectionReader, QueuedConnectionListener and QueuedConnectionManager: a
`selectors` loop that waits on them (with a timeout as its tick) gets every datagram, new
connection and reset, and sleeps when nothing is queued. Polled mode on the poll backend has
no descriptor: io.UnsupportedOperation."""

import io
import selectors
import struct
import time

import pytest

import queuednet as qn

from conftest import frame2, raw_client

BACKENDS = [b for b in ("io_uring", "epoll", "poll") if qn.ConnectionManager.is_backend_available(getattr(qn.BackendKind, b))]
TICK = 0.02


@pytest.fixture(params=[(t, b) for t in (0, 2) for b in BACKENDS], ids=lambda p: "threads-%d-%s" % p)
def server(request):
    threads, backend = request.param
    manager = qn.QueuedConnectionManager(threads, backend)
    listener = qn.QueuedConnectionListener(manager, 0)
    reader = qn.QueuedConnectionReader(manager, 0)
    rendezvous = manager.openTCPServerRendezvous("127.0.0.1", 0, 100)
    assert rendezvous, qn.last_error().message
    assert listener.addConnection(rendezvous)
    if threads == 0 and backend == "poll":
        for owner in (reader, listener, manager):
            with pytest.raises(io.UnsupportedOperation, match="poll backend"):
                owner.fileno()
            assert owner.getReadinessFd() == -1
        pytest.skip("polled mode on the poll backend has no descriptor (checked: io.UnsupportedOperation)")
    return Loop(manager, listener, reader, rendezvous.getAddress().getPort())


class Loop:
    """The application's loop: a selector with the three objects registered as themselves."""

    def __init__(self, manager, listener, reader, port):
        self.manager, self.listener, self.reader, self.port = manager, listener, reader, port
        self.selector = selectors.DefaultSelector()
        for owner in (reader, listener, manager):
            self.selector.register(owner, selectors.EVENT_READ)
        self.numbers, self.accepted, self.resets = [], [], []

    def handle(self, ready):
        for owner in ready:
            if owner is self.listener:
                while self.listener.newConnectionAvailable():
                    connection = qn.PointerToConnection()
                    if self.listener.getNewConnection(connection):
                        self.accepted.append(connection.p())
                        self.reader.addConnection(connection.p())
            elif owner is self.reader:
                datagram = qn.NetDatagram()
                while self.reader.dataAvailable():
                    while self.reader.getData(datagram):
                        self.numbers.append(struct.unpack("<I", datagram.getMessage())[0])
            elif owner is self.manager:
                self.reader.poll()  # polled mode: the reset queue's calls do not turn the loop
                lost = qn.PointerToConnection()
                while self.manager.resetConnectionAvailable():
                    if self.manager.getResetConnection(lost):
                        self.resets.append(lost.p())

    def step(self):
        """One wait, at most a tick; returns the objects that were ready."""
        ready = [key.fileobj for key, _ in self.selector.select(TICK)]
        self.handle(ready)
        return ready

    def run_until(self, done, timeout=20.0):
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            self.step()
        return done()

    def sleeps(self, ticks=5):
        """After the application found every queue empty (and one more wait, for a turn whose
        notice came after its items were taken): True if the next waits all time out."""
        self.handle([self.reader, self.listener, self.manager])
        self.step()
        return all(not self.step() for _ in range(ticks))


def test_reader_and_listener_descriptors_deliver_every_datagram_in_order(server):
    assert server.reader.fileno() == server.reader.getReadinessFd() >= 0
    count = 3000
    client = raw_client(server.port)
    burst = b""
    for i in range(count):
        burst += frame2(struct.pack("<I", i))
        if len(burst) >= 8192 or i + 1 == count:
            client.sendall(burst)
            burst = b""
            server.step()
    assert server.run_until(lambda: len(server.numbers) >= count), "%d of %d" % (len(server.numbers), count)
    assert server.numbers == list(range(count))
    assert len(server.accepted) == 1
    assert server.sleeps()
    client.close()


def test_listener_descriptor_reports_each_connection_once(server):
    clients = [raw_client(server.port) for _ in range(20)]
    assert server.run_until(lambda: len(server.accepted) >= len(clients))
    assert len({id(c) for c in server.accepted}) == len(clients)
    assert server.sleeps()
    assert len(server.accepted) == len(clients)
    for c in clients:
        c.close()


def test_manager_descriptor_reports_each_reset_once(server):
    clients = [raw_client(server.port) for _ in range(10)]
    assert server.run_until(lambda: len(server.accepted) >= len(clients))
    for c in clients:
        c.close()
    assert server.run_until(lambda: len(server.resets) >= len(clients))
    assert sorted(id(c) for c in server.resets) == sorted(id(c) for c in server.accepted)
    assert server.sleeps()
    assert len(server.resets) == len(clients)
