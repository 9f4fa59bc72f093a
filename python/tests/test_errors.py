"""Bad input: short datagrams from a peer, wrong argument types, closed connections. Each gets a
clear exception or Panda3D's False/None with the reason in last_error(); nothing crashes, and
the server keeps serving."""

import socket
import sys

import pytest

import queuednet as qn
from conftest import Server, eventually, frame2, raw_client


def test_a_short_datagram_raises_and_the_server_keeps_serving(threads):
    server = Server(threads)
    peer = raw_client(server.port)
    assert server.accept() is not None
    peer.sendall(frame2(b"\x01") + frame2(b"\x01\x09\x00Hello"))  # msg id, then a truncated string
    handled = []
    for _ in range(2):
        datagram = server.next()
        it = qn.PyDatagramIterator(datagram)
        try:
            handled.append((it.getUint8(), it.getString()))
        except AssertionError as error:  # what Panda3D code catches; DatagramError here
            assert isinstance(error, qn.DatagramError)
            handled.append(("short", str(error)))
    assert handled[0][0] == "short" and "wanted 2 byte(s) for uint16 at offset 1, 0 remained" in handled[0][1]
    assert handled[1][0] == "short" and "wanted 9 byte(s)" in handled[1][1]
    peer.sendall(frame2(b"\x02\x02\x00ok"))
    it = qn.DatagramIterator(server.next())
    assert (it.getUint8(), it.getString()) == (2, "ok")
    peer.close()


def test_wrong_argument_types_raise_type_error():
    server = Server(0)
    calls = [
        lambda: server.reader.addConnection("not a connection"),
        lambda: server.reader.addConnection(None),
        lambda: server.writer.send(b"bytes are not a Datagram", server.rendezvous),
        lambda: server.writer.send(qn.Datagram(), None),
        lambda: qn.QueuedConnectionReader(None, 0),
        lambda: qn.QueuedConnectionReader(server.manager, "0"),
        lambda: server.manager.openTCPServerRendezvous("9099"),
        lambda: server.manager.openTCPServerRendezvous(70000, 10),
        lambda: server.listener.getNewConnection(qn.NetAddress(), qn.NetAddress(), qn.PointerToConnection()),
        lambda: server.reader.getData(None),
        lambda: server.reader.getData(b"buffer"),
        lambda: server.manager.getResetConnection(server.rendezvous),
        lambda: qn.QueuedConnectionManager("2"),
    ]
    for call in calls:
        with pytest.raises(TypeError):
            call()


def test_closed_connections_give_false_and_say_why(threads):
    server = Server(threads)
    peer = raw_client(server.port)
    connection = server.accept()
    assert server.manager.closeConnection(connection)
    assert eventually(lambda: (server.reader.poll(), not connection.isOpen())[1])
    qn.clear_last_error()
    assert not qn.last_error()
    assert not server.writer.send(qn.Datagram(b"x"), connection)
    error = qn.last_error()
    assert error and error.errc == qn.errc.connection_closed and error.message
    assert not server.manager.closeConnection(connection)
    assert qn.last_error().errc == qn.errc.not_found
    assert not server.reader.addConnection(connection)
    assert not server.reader.isConnectionOk(connection)
    assert not connection.setNoDelay(True) and not connection.flush()
    assert connection.getFd() == -1
    null = qn.PointerToConnection()
    assert null.isNull() and null.p() is None and null == None  # noqa: E711 (Panda3D style)
    assert not server.reader.addConnection(null) and qn.last_error()
    assert not server.writer.send(qn.Datagram(b"x"), null)
    peer.close()


def test_connection_identity_and_pointer_semantics():
    server = Server(0)
    peer = raw_client(server.port)
    connection = server.accept()
    pointer = qn.PointerToConnection(connection)
    assert pointer.p() == connection and pointer == connection and connection == pointer
    assert hash(pointer.p()) == hash(connection) and connection in {pointer.p()}
    assert connection != server.rendezvous
    pointer.clear()
    assert pointer.isNull() and connection.isOpen()
    peer.close()


def test_get_data_into_one_net_datagram_leaks_nothing():
    server = Server(0)
    peer = raw_client(server.port)
    assert server.accept() is not None
    count = 3000
    server.reader.setInputBudget(count, 1 << 20)  # let the whole burst queue up
    peer.sendall(b"".join(frame2(b"%05d" % i) for i in range(count)))
    assert eventually(lambda: (server.reader.dataAvailable(), server.reader.getCurrentQueueSize() == count)[1])
    datagram = qn.NetDatagram()
    got = 0
    before = sys.getallocatedblocks()
    while server.reader.getData(datagram):
        got += 1
    after = sys.getallocatedblocks()
    assert got == count and bytes(datagram) == b"%05d" % (count - 1)
    assert after - before < 50  # no Python object kept per call (3,000 calls)
    peer.close()
