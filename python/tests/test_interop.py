"""Python against C++ over real sockets: the manual's Python server and client against each
other and against the C++ programs, a Python client against the C++ echo server, and the C++
wire-level load generator against the Python echo server."""

import subprocess
import struct

import pytest

import queuednet as qn
from conftest import PYTHON, REPO, Client, binary, child_env, started

EXAMPLES = REPO / "examples" / "python"


def py_manual_server():
    return PYTHON + [str(EXAMPLES / "manual_server.py"), "--port", "0", "--duration", "60"]


def py_manual_client(port, *extra):
    return PYTHON + [str(EXAMPLES / "manual_client.py"), "--port", str(port), *extra]


def finish(server, client_command):
    client = subprocess.run(client_command, env=child_env(), capture_output=True, text=True, timeout=120)
    server_output, _ = server.communicate(timeout=60)
    return client, server_output


@pytest.mark.parametrize("server_kind, client_kind", [("python", "python"), ("python", "c++"), ("c++", "python")])
def test_manual_server_and_client(server_kind, client_kind):
    server_command = py_manual_server() if server_kind == "python" else [
        binary("examples/manual_server"), "--port", "0", "--duration", "60"]
    server, port = started(server_command)
    client_command = py_manual_client(port, "--messages", "3") if client_kind == "python" else [
        binary("examples/manual_client"), "--port", str(port), "--messages", "3"]
    client, server_output = finish(server, client_command)
    assert client.returncode == 0, client.stdout + client.stderr
    assert client.stdout.splitlines() == ["received 'hello 0'", "received 'hello 1'", "received 'hello 2'",
                                          "server closed the connection"]
    assert server.returncode == 0
    assert "broadcast 'hello 2' to 1 client(s)" in server_output
    assert server_output.rstrip().endswith("server closed")


def test_python_manual_client_against_the_cpp_echo_server():
    server, port = started([binary("bench/queuednet-echo-server"), "--port", "0", "--duration", "60"])
    try:
        client = subprocess.run(py_manual_client(port, "--messages", "5", "--no-quit", "--threads", "1"),
                                env=child_env(), capture_output=True, text=True, timeout=120)
        assert client.returncode == 0, client.stdout + client.stderr
        assert client.stdout.splitlines() == ["received 'hello %d'" % i for i in range(5)]
    finally:
        server.terminate()
        server.communicate(timeout=60)


def test_python_client_round_trips_every_type_through_the_cpp_echo_server(threads):
    server, port = started([binary("bench/queuednet-echo-server"), "--port", "0", "--duration", "60"])
    try:
        client = Client(port, threads)
        sent = []
        for i in range(200):
            dg = qn.PyDatagram()
            dg.addUint32(i)
            dg.addInt64(-i * 1000003)
            dg.addBeFloat64(i / 7)
            dg.addString("message %d é" % i)
            dg.addBlob(bytes(range(i % 256)))
            dg.addWstring("w%d" % i)
            assert client.writer.send(dg, client.connection)
            sent.append(bytes(dg))
        for i, expected in enumerate(sent):
            echo = client.next()
            assert echo is not None and bytes(echo) == expected
            it = qn.PyDatagramIterator(echo)
            assert (it.getUint32(), it.getInt64(), it.getBeFloat64(), it.getString(), it.getBlob(),
                    it.getWstring()) == (i, -i * 1000003, i / 7, "message %d é" % i, bytes(range(i % 256)), "w%d" % i)
    finally:
        server.terminate()
        server.communicate(timeout=60)


@pytest.mark.parametrize("threads", ["0", "2"], ids=["polled", "threads-2"])
def test_cpp_load_generator_against_the_python_echo_server(threads):
    server, port = started(PYTHON + [str(EXAMPLES / "threaded_echo_server.py"), "--port", "0", "--threads", threads,
                                     "--duration", "60"])
    try:
        load = subprocess.run([binary("bench/queuednet-echo-load"), "--port", str(port), "--connections", "100",
                               "--window", "4", "--size", "48", "--duration", "1"],
                              capture_output=True, text=True, timeout=120)
        assert load.returncode == 0 and "result=ok" in load.stdout, load.stdout + load.stderr
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0
    summary = output.strip().splitlines()[-1]
    assert summary.startswith("summary: connections=100 ")
    received = int(load.stdout.split(" received=")[1].split()[0])
    assert " datagrams_out=%d " % received in summary


def test_byte_layout_of_a_python_datagram_on_the_wire():
    # What a Python server sends is Panda3D's framing: 2-byte little-endian length + payload.
    import socket
    from conftest import Server, eventually, receive_exactly
    server = Server(0)
    peer = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    connection = server.accept()
    dg = qn.Datagram()
    dg.addUint16(0x1234)
    dg.addString("Monkey")
    assert server.writer.send(dg, connection)
    assert receive_exactly(peer, 12) == struct.pack("<H", 10) + bytes.fromhex("3412") + b"\x06\x00Monkey"
    peer.close()
