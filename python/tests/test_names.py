"""Panda3D's Python names: every class of the C++ API is there, and every method answers to its
C++ (snake_case) name and to Panda3D's camelCase name, which are the same function."""

import pytest

import queuednet as qn

CLASSES = ["QueuedConnectionManager", "ConnectionManager", "QueuedConnectionListener", "ConnectionListener",
           "QueuedConnectionReader", "ConnectionReader", "ConnectionWriter", "Connection", "PointerToConnection",
           "NetAddress", "NetDatagram", "Datagram", "DatagramIterator", "NetworkInterface", "BackendKind", "errc",
           "Error", "DatagramError", "PyDatagram", "PyDatagramIterator"]


def camel(snake):
    """The spec's rule (§0): delete each '_' and upper-case the next character."""
    parts = snake.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


@pytest.mark.parametrize("name", CLASSES)
def test_class_exists(name):
    assert hasattr(qn, name)


@pytest.mark.parametrize("cls", [getattr(qn, n) for n in CLASSES if isinstance(getattr(qn, n), type)
                                 and n not in ("BackendKind", "errc", "DatagramError")], ids=lambda c: c.__name__)
def test_every_method_has_both_names(cls):
    snake_methods = [n for n in vars(cls) if "_" in n.strip("_") and not n.startswith("_") and callable(getattr(cls, n))]
    for name in snake_methods:
        alias = camel(name)
        assert hasattr(cls, alias), "%s.%s has no %s" % (cls.__name__, name, alias)
        assert getattr(cls, alias) == getattr(cls, name)


@pytest.mark.parametrize("snake, expected", [
    ("open_TCP_server_rendezvous", "openTCPServerRendezvous"), ("open_TCP_client_connection", "openTCPClientConnection"),
    ("open_UDP_connection", "openUDPConnection"), ("new_connection_available", "newConnectionAvailable"),
    ("get_new_connection", "getNewConnection"), ("data_available", "dataAvailable"), ("get_data", "getData"),
    ("add_connection", "addConnection"), ("remove_connection", "removeConnection"),
    ("reset_connection_available", "resetConnectionAvailable"), ("get_reset_connection", "getResetConnection"),
    ("close_connection", "closeConnection"), ("get_connection", "getConnection"), ("add_uint16", "addUint16"),
    ("get_string", "getString"), ("get_z_string", "getZString"), ("add_be_int16", "addBeInt16"),
    ("is_valid_for_udp", "isValidForUdp"), ("get_ip_string", "getIpString"), ("is_null", "isNull"),
    ("set_stdfloat_double", "setStdfloatDouble"), ("get_remaining_size", "getRemainingSize"),
    ("append_data", "appendData"), ("get_message", "getMessage"), ("wait_for_readers", "waitForReaders"),
])
def test_panda3d_names_from_the_manual_and_reference(snake, expected):
    assert camel(snake) == expected
    owners = [getattr(qn, n) for n in CLASSES if hasattr(getattr(qn, n), snake)]
    assert owners, "no class has %s" % snake
    for owner in owners:
        assert getattr(owner, expected) == getattr(owner, snake)


def test_module_functions_and_enums():
    assert qn.lastError is qn.last_error and qn.clearLastError is qn.clear_last_error
    assert {m.name for m in qn.BackendKind.__members__.values()} == {"automatic", "io_uring", "epoll", "poll"}
    assert str(qn.BackendKind.epoll) == "epoll"
    assert qn.ConnectionManager.Interface is qn.NetworkInterface
    assert qn.Datagram.__module__ == "queuednet"
