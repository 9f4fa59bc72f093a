"""The Panda3D manual's "Client-Server Connection" flow in one process, as the manual writes it
(PointerToConnection out-parameters, NetDatagram, PyDatagram), in polled mode and with workers."""

import pytest

import queuednet as qn
from conftest import Client, Server, eventually


def test_manual_server_and_client(threads):
    cManager = qn.QueuedConnectionManager(threads)
    cListener = qn.QueuedConnectionListener(cManager, 0)
    cReader = qn.QueuedConnectionReader(cManager, 0)
    cWriter = qn.ConnectionWriter(cManager, 0)
    activeConnections = []
    tcpSocket = cManager.openTCPServerRendezvous("127.0.0.1", 0, 1000)
    assert tcpSocket and tcpSocket.getKind() == qn.Connection.Kind.tcp_listener
    assert cListener.addConnection(tcpSocket)
    port = tcpSocket.getAddress().getPort()

    clients = [Client(port) for _ in range(3)]

    def tskListenerPolling():
        if cListener.newConnectionAvailable():
            rendezvous = qn.PointerToConnection()
            netAddress = qn.NetAddress()
            newConnection = qn.PointerToConnection()
            if cListener.getNewConnection(rendezvous, netAddress, newConnection):
                assert rendezvous.p() == tcpSocket
                assert netAddress.getIpString() == "127.0.0.1"
                assert netAddress == newConnection.p().getAddress()
                newConnection = newConnection.p()
                activeConnections.append(newConnection)
                cReader.addConnection(newConnection)
        return len(activeConnections) == len(clients)

    assert eventually(tskListenerPolling)

    # A client sends; the server reads it with the manual's reader task and broadcasts it.
    myPyDatagram = qn.PyDatagram()
    myPyDatagram.addUint8(1)  # PRINT_MESSAGE
    myPyDatagram.addString("Hello, world!")
    assert clients[0].writer.send(myPyDatagram, clients[0].connection)

    datagram = qn.NetDatagram()
    assert eventually(lambda: cReader.dataAvailable() and cReader.getData(datagram))
    assert datagram.getConnection() in activeConnections
    assert datagram.getAddress() == datagram.getConnection().getAddress()
    myIterator = qn.PyDatagramIterator(datagram)
    assert myIterator.getUint8() == 1 and myIterator.getString() == "Hello, world!"
    for aClient in activeConnections:
        assert cWriter.send(datagram, aClient)
    for client in clients:
        got = client.next()
        assert got is not None and bytes(got) == bytes(myPyDatagram)
        assert got.getConnection() == client.connection

    # A client leaves: reported once through the manager, after its data.
    goodbye = qn.Datagram()
    goodbye.addString("bye")
    assert clients[1].writer.send(goodbye, clients[1].connection)
    assert clients[1].manager.closeConnection(clients[1].connection)
    lost = qn.PointerToConnection()
    assert eventually(lambda: cReader.dataAvailable() and cReader.getData(datagram))
    assert qn.DatagramIterator(datagram).getString() == "bye"
    # (A polled client's close happens on its next poll: the loop writes what was queued first.)
    assert eventually(lambda: (clients[1].reader.poll(), cReader.poll(), cManager.getResetConnection(lost))[2])
    # Panda3D has closed it already; queuednet keeps a peer's half-closed connection writable
    # until the application closes it (below, as the manual does).
    assert lost.p() in activeConnections and lost.p().isOpen()
    assert not cManager.getResetConnection(qn.PointerToConnection())

    # Disconnecting, as the manual does it.
    for aClient in activeConnections:
        cReader.removeConnection(aClient)
        assert cManager.closeConnection(aClient)
    activeConnections = []
    assert cManager.closeConnection(tcpSocket)
    assert not cManager.closeConnection(tcpSocket)  # a second close: False, as in Panda3D


def test_get_data_into_a_plain_datagram_and_the_one_argument_get_new_connection(threads):
    server = Server(threads)
    client = Client(server.port)
    new_connection = qn.PointerToConnection()
    assert eventually(lambda: server.listener.newConnectionAvailable()
                      and server.listener.getNewConnection(new_connection))
    assert server.reader.addConnection(new_connection)  # a PointerToConnection works too
    assert server.reader.isConnectionOk(new_connection.p())
    assert client.writer.send(qn.Datagram(b"plain"), client.connection)
    plain = qn.PyDatagram()
    assert eventually(lambda: server.reader.dataAvailable() and server.reader.getData(plain))
    assert bytes(plain) == b"plain" and type(plain) is qn.PyDatagram
    assert not server.reader.getData(plain) and bytes(plain) == b"plain"  # empty queue: untouched


def test_wait_calls_return_when_something_arrives(threads):
    server = Server(threads)
    client = Client(server.port)
    assert eventually(lambda: server.listener.waitForConnection(0.5))
    connection = qn.PointerToConnection()
    assert server.listener.getNewConnection(connection)
    server.reader.addConnection(connection)
    assert not server.reader.waitForData(0.01) or server.reader.getCurrentQueueSize() > 0
    client.writer.send(qn.Datagram(b"x"), client.connection)
    assert eventually(lambda: server.reader.waitForData(0.5))
    assert server.manager.waitForReaders(0) in (True, False)


def test_udp_round_trip(threads):
    manager = qn.QueuedConnectionManager(threads)
    reader = qn.QueuedConnectionReader(manager, 0)
    writer = qn.ConnectionWriter(manager, 0)
    receiver = manager.openUDPConnection("127.0.0.1", 0)
    sender = manager.openUDPConnection(0)
    assert receiver and sender and receiver.getKind() == qn.Connection.Kind.udp
    assert reader.addConnection(receiver)
    target = receiver.getAddress()
    dg = qn.Datagram()
    dg.addString("over udp")
    assert writer.isValidForUdp(dg)
    assert writer.send(dg, sender, target)
    got = qn.NetDatagram()
    assert eventually(lambda: reader.dataAvailable() and reader.getData(got))
    assert qn.DatagramIterator(got).getString() == "over udp"
    assert got.getConnection() == receiver
    assert not writer.send(dg, sender)  # TCP send on UDP: refused with a reason
    assert qn.last_error().errc == qn.errc.wrong_connection_kind


def test_manager_queries():
    manager = qn.QueuedConnectionManager(1, "epoll" if qn.ConnectionManager.is_backend_available(
        qn.BackendKind.epoll) else "poll")
    assert manager.getNumThreads() == 1
    assert manager.getBackend() in (qn.BackendKind.epoll, qn.BackendKind.poll)
    assert isinstance(qn.ConnectionManager.getHostName(), str)
    manager.scanInterfaces()
    interfaces = manager.getInterfaces()
    assert len(interfaces) == manager.getNumInterfaces()
    assert any(i.getIp().getIpString() == "127.0.0.1" for i in interfaces if i.hasIp())
    manager.setCloseTimeout(1.5)
    assert manager.getCloseTimeout() == 1.5
    assert manager.getNumConnections() == 0
    with pytest.raises(ValueError, match="unknown backend"):
        qn.QueuedConnectionManager(0, "kqueue")
    address = qn.NetAddress()
    assert address.setHost("::1", 80) and address.getFamily() != qn.NetAddress().getFamily()
    assert str(address) == "[::1]:80"
    assert not address.setHost("no-such-host.invalid", 80)
    assert qn.last_error().errc == qn.errc.host_not_found and str(address) == "[::1]:80"
