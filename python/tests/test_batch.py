"""The batch API over real loopback sockets: QueuedConnectionReader.getDataBatch(n) and
ConnectionWriter.sendBatch(pairs), mixed with the per-datagram calls, in polled mode and with
workers; and the per-datagram calls' fast paths handing every other call shape to pybind11."""

import pytest

import queuednet as qn
from conftest import Server, eventually, frame2, raw_client, receive_exactly

CLIENTS = 3
PER_CLIENT = 400


def message(client, seq):
    return b"c%d:%05d" % (client, seq)


def accept_all(server, count):
    connections = []
    for _ in range(count):
        connection = server.accept()
        assert connection is not None
        connections.append(connection)
    return connections


def test_batch_take_gets_every_datagram_once_in_order_mixed_with_get_data(threads):
    server = Server(threads)
    clients = [raw_client(server.port) for _ in range(CLIENTS)]
    accept_all(server, CLIENTS)
    for c, sock in enumerate(clients):
        sock.sendall(b"".join(frame2(message(c, i)) for i in range(PER_CLIENT)))

    taken = []  # (payload, connection) in the order the application took them
    sizes = [1, 7, 0, 16, 3, 0, 0, 64, 2, 300]  # 0: one getData call instead of a batch
    datagram = qn.NetDatagram()
    turn = [0]

    def take_some():
        size = sizes[turn[0] % len(sizes)]
        turn[0] += 1
        if not server.reader.dataAvailable():
            return len(taken) == CLIENTS * PER_CLIENT
        if size == 0:
            if server.reader.getData(datagram):
                taken.append((bytes(datagram), datagram.getConnection()))
        else:
            batch = server.reader.getDataBatch(size)
            assert len(batch) <= size
            for payload, connection in batch:
                assert type(payload) is bytes and isinstance(connection, qn.Connection)
            taken.extend(batch)
        return len(taken) == CLIENTS * PER_CLIENT

    assert eventually(take_some)
    assert server.reader.getDataBatch(10) == []
    assert not server.reader.getData(datagram)
    by_client = {c: [] for c in range(CLIENTS)}
    connection_of = {}
    for payload, connection in taken:
        client = int(payload[1:payload.index(b":")])
        by_client[client].append(payload)
        assert connection_of.setdefault(client, connection) == connection
    for c in range(CLIENTS):
        assert by_client[c] == [message(c, i) for i in range(PER_CLIENT)]
    assert len({id(connection) for connection in connection_of.values()}) == CLIENTS
    assert server.reader.getDataBatch(0) == []
    for sock in clients:
        sock.close()


def test_batch_send_delivers_in_order_mixed_with_send(threads):
    server = Server(threads)
    clients = [raw_client(server.port) for _ in range(CLIENTS)]
    connections = accept_all(server, CLIENTS)
    pointers = [qn.PointerToConnection(connection) for connection in connections]
    expected = {c: [] for c in range(CLIENTS)}
    seq = 0
    for round_ in range(20):
        pairs = []
        for _ in range(25):
            for c in range(CLIENTS):
                payload = message(c, seq)
                # Every payload and connection type the batch takes, in turn.
                kind = seq % 4
                item = (payload if kind == 0 else bytearray(payload) if kind == 1 else qn.Datagram(payload)
                        if kind == 2 else memoryview(payload))
                pairs.append((item, pointers[c] if seq % 3 == 0 else connections[c]))
                expected[c].append(payload)
                seq += 1
        assert server.writer.sendBatch(pairs) == len(pairs)
        for c in range(CLIENTS):  # a per-datagram send between batches keeps its place
            payload = message(c, seq)
            assert server.writer.send(qn.Datagram(payload), connections[c])
            expected[c].append(payload)
            seq += 1
    for c, sock in enumerate(clients):
        wire = b"".join(frame2(payload) for payload in expected[c])
        assert receive_exactly(sock, len(wire)) == wire
        sock.close()


def test_batch_send_counts_refusals_and_checks_every_pair_first():
    server = Server()
    client = raw_client(server.port)
    (connection,) = accept_all(server, 1)
    udp = server.manager.openUDPConnection("127.0.0.1", 0)
    assert udp
    # A pair that is not (datagram, connection): TypeError, and nothing of the batch is sent.
    with pytest.raises(TypeError):
        server.writer.sendBatch([(b"never", connection), (b"x", None)])
    with pytest.raises(TypeError):
        server.writer.sendBatch([(b"never", connection), (b"x", connection, 1)])
    with pytest.raises(TypeError):
        server.writer.sendBatch([(b"never", connection), (12, connection)])
    # A UDP connection is refused (send_batch is for TCP streams); the others go out.
    assert server.writer.sendBatch([(b"first", connection), (b"udp", udp), (b"second", connection)]) == 2
    assert qn.last_error().errc == qn.errc.wrong_connection_kind
    assert server.writer.sendBatch([]) == 0
    wire = frame2(b"first") + frame2(b"second")
    assert receive_exactly(client, len(wire)) == wire
    client.close()


def test_per_datagram_calls_take_every_call_shape():
    """The fast paths of dataAvailable, getData, getConnection and send hand keywords, Python
    subclasses and wrong arguments to the pybind11 overloads: same results, same errors."""
    server = Server()
    client = raw_client(server.port)
    connection = server.accept()
    client.sendall(frame2(b"one") + frame2(b"two") + frame2(b"three"))
    assert eventually(lambda: server.reader.poll() or server.reader.getCurrentQueueSize() == 3)
    assert server.reader.data_available() and server.reader.dataAvailable()
    net = qn.NetDatagram()
    assert server.reader.get_data(datagram=net) and bytes(net) == b"one"
    assert net.getConnection() == connection and net.get_connection() == connection
    plain = qn.Datagram()
    assert server.reader.getData(plain) and bytes(plain) == b"two"
    py_datagram = qn.PyDatagram()
    assert server.reader.getData(py_datagram) and bytes(py_datagram) == b"three"
    assert not server.reader.getData(net)
    with pytest.raises(TypeError):
        server.reader.getData(b"not a datagram")
    with pytest.raises(TypeError):
        server.reader.dataAvailable(1)

    reply = qn.PyDatagram()
    reply.addString("hi")
    assert server.writer.send(reply, connection)
    assert server.writer.send(qn.Datagram(b"kw"), connection=connection, block=True)
    assert server.writer.send(qn.NetDatagram(b"ptr"), qn.PointerToConnection(connection), False)
    assert not server.writer.send(qn.Datagram(b"null"), qn.PointerToConnection())
    with pytest.raises(TypeError):
        server.writer.send(qn.Datagram(b"x"), None)
    with pytest.raises(TypeError):
        server.writer.send(b"bytes are not a Datagram", connection)
    wire = frame2(bytes(reply)) + frame2(b"kw") + frame2(b"ptr")
    assert receive_exactly(client, len(wire)) == wire
    client.close()


def test_udp_datagrams_come_with_their_sender():
    server = Server()
    udp = server.manager.openUDPConnection("127.0.0.1", 0)
    assert udp and server.reader.addConnection(udp)
    client_manager = qn.QueuedConnectionManager()
    sender = client_manager.openUDPConnection("127.0.0.1", 0)
    to = qn.NetAddress()
    assert to.setHost("127.0.0.1", udp.getAddress().getPort())
    writer = qn.ConnectionWriter(client_manager, 0)
    assert writer.send(qn.Datagram(b"u1"), sender, to)
    batch = []
    assert eventually(lambda: server.reader.dataAvailable() and batch.extend(server.reader.getDataBatch(5)) or batch)
    (payload, connection, address) = batch[0]
    assert payload == b"u1" and connection == udp and address.getPort() == sender.getAddress().getPort()
