"""Test support for the Python binding: bounded waiting, a server built the way the manual
builds one, and the paths of the C++ programs the interoperability tests run.

Run by ctest (python-pytest) as `python3 -X dev -m pytest python/tests` with PYTHONPATH set to
the build tree's python/ folder and QUEUEDNET_BUILD_DIR to the build tree.
"""

import os
import pathlib
import socket
import subprocess
import sys
import time

import pytest

import queuednet as qn

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("QUEUEDNET_BUILD_DIR", REPO / "build"))


def eventually(condition, timeout=20.0):
    """Calls condition() (which may poll) until it is true or `timeout` seconds pass; returns
    its last result. Never sleeps a fixed time: it yields between calls."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(0)


class Server:
    """Manager, listener, reader and writer with a rendezvous on 127.0.0.1 (ephemeral port)."""

    def __init__(self, threads=0):
        self.manager = qn.QueuedConnectionManager(threads)
        self.listener = qn.QueuedConnectionListener(self.manager, 0)
        self.reader = qn.QueuedConnectionReader(self.manager, 0)
        self.writer = qn.ConnectionWriter(self.manager, 0)
        self.rendezvous = self.manager.openTCPServerRendezvous("127.0.0.1", 0, 100)
        assert self.rendezvous, qn.last_error().message
        assert self.listener.addConnection(self.rendezvous)
        self.port = self.rendezvous.getAddress().getPort()

    def accept(self, timeout=20.0):
        """Waits for one new connection, adds it to the reader and returns it (None on timeout)."""
        rendezvous, address, connection = qn.PointerToConnection(), qn.NetAddress(), qn.PointerToConnection()
        if not eventually(lambda: self.listener.newConnectionAvailable()
                          and self.listener.getNewConnection(rendezvous, address, connection), timeout):
            return None
        assert self.reader.addConnection(connection)
        return connection.p()

    def next(self, timeout=20.0):
        """The next datagram (a NetDatagram), or None on timeout."""
        datagram = qn.NetDatagram()
        if eventually(lambda: self.reader.dataAvailable() and self.reader.getData(datagram), timeout):
            return datagram
        return None


class Client:
    """A queuednet client on its own manager, connected to 127.0.0.1:port."""

    def __init__(self, port, threads=0):
        self.manager = qn.QueuedConnectionManager(threads)
        self.reader = qn.QueuedConnectionReader(self.manager, 0)
        self.writer = qn.ConnectionWriter(self.manager, 0)
        self.connection = self.manager.openTCPClientConnection("127.0.0.1", port, 5000)
        assert self.connection, qn.last_error().message
        assert self.reader.addConnection(self.connection)

    def next(self, timeout=20.0):
        datagram = qn.NetDatagram()
        if eventually(lambda: self.reader.dataAvailable() and self.reader.getData(datagram), timeout):
            return datagram
        return None


def raw_client(port):
    """A plain socket connected to 127.0.0.1:port: a peer that knows only the wire format."""
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def frame2(payload):
    """A TCP frame with the default 2-byte little-endian length header."""
    return len(payload).to_bytes(2, "little") + payload


def receive_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "peer closed after %d of %d bytes" % (len(data), size)
        data += chunk
    return data


def started(command, env=None, timeout=20.0):
    """Starts a server that prints "listening on HOST:PORT ..." first; returns (process, port)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env or child_env())
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        raise AssertionError("server did not start: %r %s" % (line, process.stdout.read()))
    port = int(line.split()[2].rsplit(":", 1)[1])
    return process, port


def child_env():
    """Environment for child Python processes: the build tree's module, quiet logs."""
    env = dict(os.environ)
    env.setdefault("QUEUEDNET_LOG", "error")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(pathlib.Path(qn.__file__).parent.parent),
                                                    env.get("PYTHONPATH")) if p)
    return env


PYTHON = [sys.executable, "-X", "dev"]


def binary(relative):
    """A C++ program of the build tree; the test is skipped if it was not built."""
    path = BUILD / relative
    if not path.exists():
        pytest.skip("%s not built (QUEUEDNET_BUILD_DIR=%s)" % (relative, BUILD))
    return str(path)


@pytest.fixture(params=[0, 2], ids=["polled", "threads-2"])
def threads(request):
    """Runs a test in polled mode and with 2 worker threads."""
    return request.param
