"""Interrogate's identity attributes: a Panda3D program keys its connections by `conn.this` or
by the connection itself; the connection the listener hands out and the one the manager reports
reset must be the same key, whichever Python object wraps it."""

import gc

import queuednet as qn
from conftest import Server, eventually, raw_client


def accept_and_reset(server, keep_accepted):
    """Accepts one loopback client, lets it leave, and returns (accepted, lost): the accepted
    Connection (or only its `this` when keep_accepted is false, so that no Python object wraps
    it any more) and the PointerToConnection the manager reported reset."""
    client = raw_client(server.port)
    accepted = server.accept()
    assert accepted is not None and accepted.isOpen()
    if not keep_accepted:
        accepted = accepted.this
        gc.collect()
    client.close()
    lost = qn.PointerToConnection()
    assert eventually(lambda: (server.reader.poll(), server.manager.getResetConnection(lost))[1])
    return accepted, lost


def test_accepted_and_reset_connection_are_one_dict_key(threads):
    server = Server(threads)
    accepted, lost = accept_and_reset(server, keep_accepted=True)
    players = {accepted: "player one"}
    by_this = {accepted.this: "player one"}
    reset = lost.p()
    assert players[reset] == "player one"
    assert by_this[reset.this] == "player one"
    assert hash(reset) == reset.this == accepted.this
    assert reset == accepted and not (reset != accepted)
    # The PointerToConnection itself finds the entry too (== and hash follow its Connection).
    assert players[lost] == "player one"
    del players[reset]
    assert not players
    assert server.manager.closeConnection(reset)


def test_this_survives_its_python_object(threads):
    server = Server(threads)
    accepted_this, lost = accept_and_reset(server, keep_accepted=False)
    reset = lost.p()
    assert reset.this == accepted_this == hash(reset)
    assert {accepted_this: 1}[reset.this] == 1
    assert server.manager.closeConnection(reset)


def test_distinct_connections_have_distinct_keys():
    server = Server()
    clients = [raw_client(server.port) for _ in range(3)]
    connections = [server.accept() for _ in clients]
    assert all(connections)
    assert len({c.this for c in connections}) == 3
    assert len(set(connections)) == 3
    assert server.rendezvous.this not in {c.this for c in connections}
    # A datagram's connection is the accepted one.
    clients[1].sendall(b"\x02\x00hi")
    datagram = server.next()
    assert datagram is not None and bytes(datagram) == b"hi"
    assert datagram.getConnection().this == connections[1].this
    assert datagram.getConnection() in set(connections)
    for client in clients:
        client.close()


def test_null_pointer_to_connection_hashes_as_none():
    null = qn.PointerToConnection()
    assert null == None  # noqa: E711 (Panda3D's comparison of a null PointerTo)
    assert hash(null) == hash(None)


def test_value_objects_have_their_own_this_and_ownership():
    address = qn.NetAddress()
    assert address.setHost("127.0.0.1", 9099)
    copy = qn.NetAddress(address)
    assert copy == address and copy.this != address.this
    assert address.this_ownership and not address.this_const

    datagram = qn.NetDatagram(b"abc")
    assert isinstance(datagram.this, int) and datagram.this != 0
    assert datagram.this_ownership
    assert qn.NetDatagram(datagram).this != datagram.this

    # An iterator's datagram is the datagram it reads, not a copy.
    assert qn.DatagramIterator(datagram).getDatagram().this == datagram.this

    manager = qn.QueuedConnectionManager()
    assert manager.this_ownership and manager.this != qn.QueuedConnectionManager().this
