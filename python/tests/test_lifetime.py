"""Destruction order: readers, listeners, writers, connections and datagrams outlive their
manager and each other in any order, and the interpreter exits cleanly whatever is left (run
under `python3 -X dev`: faulthandler on, debug allocators)."""

import gc
import itertools
import random
import subprocess
import textwrap

import pytest

import queuednet as qn
from conftest import PYTHON, child_env, eventually, frame2, raw_client

NAMES = ["manager", "listener", "reader", "writer", "connection", "datagram"]


def build(threads):
    """A served connection with a datagram received on it; the objects only, no other reference."""
    manager = qn.QueuedConnectionManager(threads)
    listener = qn.QueuedConnectionListener(manager, 0)
    reader = qn.QueuedConnectionReader(manager, 0)
    writer = qn.ConnectionWriter(manager, 0)
    rendezvous = manager.openTCPServerRendezvous("127.0.0.1", 0, 10)
    listener.addConnection(rendezvous)
    peer = raw_client(rendezvous.getAddress().getPort())
    connection = qn.PointerToConnection()
    assert eventually(lambda: listener.newConnectionAvailable() and listener.getNewConnection(connection))
    reader.addConnection(connection)
    peer.sendall(frame2(b"one") + frame2(b"two"))
    datagram = qn.NetDatagram()
    assert eventually(lambda: reader.dataAvailable() and reader.getData(datagram))
    objects = dict(manager=manager, listener=listener, reader=reader, writer=writer, connection=connection.p(),
                   datagram=datagram)
    return objects, peer


def exercise(objects, manager_gone):
    """Calls each survivor; nothing may crash, and a dead manager shows as None."""
    if "listener" in objects:
        listener = objects["listener"]
        listener.newConnectionAvailable()
        listener.getNewConnection(qn.PointerToConnection())
        assert (listener.getManager() is None) == manager_gone
    if "reader" in objects:
        reader = objects["reader"]
        reader.dataAvailable()
        reader.getData(qn.NetDatagram())
        assert (reader.getManager() is None) == manager_gone
    if "connection" in objects:
        connection = objects["connection"]
        connection.isOpen()
        connection.getAddress()
        assert (connection.getManager() is None) == manager_gone
        if "writer" in objects:
            sent = objects["writer"].send(qn.Datagram(b"late"), connection)
            assert not manager_gone or not sent
    if "writer" in objects:
        assert (objects["writer"].getManager() is None) == manager_gone
    if "datagram" in objects:
        datagram = objects["datagram"]
        assert bytes(datagram) == b"one"
        assert datagram.getConnection() is not None


def run_order(threads, order):
    objects, peer = build(threads)
    manager_gone = False
    for name in order:
        del objects[name]
        gc.collect()
        manager_gone = manager_gone or name == "manager"
        exercise(objects, manager_gone)
    peer.close()


def test_every_destruction_order_polled():
    for order in itertools.permutations(NAMES):
        run_order(0, order)


def test_destruction_orders_threaded():
    orders = list(itertools.permutations(NAMES))
    random.Random(8).shuffle(orders)
    for order in orders[:60] + [tuple(NAMES), tuple(reversed(NAMES))]:
        run_order(2, order)


SETUP = """
import threading, socket, gc
import queuednet as qn
manager = qn.QueuedConnectionManager({threads})
listener = qn.QueuedConnectionListener(manager, 0)
reader = qn.QueuedConnectionReader(manager, 0)
writer = qn.ConnectionWriter(manager, 0)
rendezvous = manager.openTCPServerRendezvous("127.0.0.1", 0, 10)
listener.addConnection(rendezvous)
peer = socket.create_connection(("127.0.0.1", rendezvous.getAddress().getPort()))
connection = qn.PointerToConnection()
while not (listener.waitForConnection(0.1) and listener.getNewConnection(connection)):
    pass
reader.addConnection(connection)
writer.send(qn.Datagram(b"pending" * 1000), connection, True)
peer.sendall(b"\\x03\\x00abc")
datagram = qn.NetDatagram()
while not (reader.waitForData(0.1) and reader.getData(datagram)):
    pass
"""

EXITS = {
    # Everything left in globals: the interpreter destroys it in its own order.
    "globals": "",
    # A daemon consumer still waiting (without the GIL) while the interpreter finalizes.
    "daemon-waiting-for-data": """
        t = threading.Thread(target=lambda: reader.waitForData(30), daemon=True)
        t.start()
    """,
    "daemon-waiting-for-connection": """
        t = threading.Thread(target=lambda: listener.waitForConnection(30), daemon=True)
        t.start()
    """,
    # A reference cycle through the manager: the garbage collector picks the order.
    "cycle": """
        cycle = [manager, reader, listener, writer, connection, datagram]
        cycle.append(cycle)
        del manager, reader, listener, writer, connection, datagram
    """,
    # The manager goes first while another thread waits on its reader.
    "manager-first-while-waiting": """
        t = threading.Thread(target=lambda: reader.waitForData(2))
        t.start()
        del manager
        gc.collect()
        t.join()
        assert reader.getManager() is None and not reader.dataAvailable()
    """,
}


@pytest.mark.parametrize("threads", [0, 2], ids=["polled", "threads-2"])
@pytest.mark.parametrize("scenario", sorted(EXITS))
def test_interpreter_exit_is_clean(threads, scenario):
    script = SETUP.format(threads=threads) + textwrap.dedent(EXITS[scenario]) + "\nprint('end of script')\n"
    result = subprocess.run(PYTHON + ["-c", script], env=child_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "end of script"
    assert "Fatal Python error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
