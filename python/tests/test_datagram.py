"""Datagram, NetDatagram, DatagramIterator, PyDatagram: Panda3D's Python Datagram behaviour
(upstream tests/putil/test_datagram.py, spec §6.1-6.2) and every encoding's bytes against
docs/wire-format.md and an independent encoder (struct)."""

import copy
import math
import pickle
import re
import struct

import pytest

import queuednet as qn
from conftest import REPO

# (add method, value, get method, struct format of the expected bytes or None)
INTEGERS = [
    ("add_int8", -77, "get_int8", "<b"), ("add_uint8", 200, "get_uint8", "<B"),
    ("add_int16", -32000, "get_int16", "<h"), ("add_uint16", 64000, "get_uint16", "<H"),
    ("add_int32", -972965890, "get_int32", "<i"), ("add_uint32", 0xDEADBEEF, "get_uint32", "<I"),
    ("add_int64", -1001001001001001, "get_int64", "<q"), ("add_uint64", 0x0123456789ABCDEF, "get_uint64", "<Q"),
    ("add_be_int16", -2, "get_be_int16", ">h"), ("add_be_uint16", 0xBEEF, "get_be_uint16", ">H"),
    ("add_be_int32", -3, "get_be_int32", ">i"), ("add_be_uint32", 0xDEADBEEF, "get_be_uint32", ">I"),
    ("add_be_int64", -4, "get_be_int64", ">q"), ("add_be_uint64", 0xFEDCBA9876543210, "get_be_uint64", ">Q"),
]
FLOATS = [
    ("add_float32", 1.5, "get_float32", "<f"), ("add_float64", math.pi, "get_float64", "<d"),
    ("add_be_float32", -2.25, "get_be_float32", ">f"), ("add_be_float64", math.e, "get_be_float64", ">d"),
]


@pytest.mark.parametrize("add, value, get, fmt", INTEGERS + FLOATS, ids=[c[0] for c in INTEGERS + FLOATS])
def test_fixed_size_types_round_trip_with_the_expected_bytes(add, value, get, fmt):
    dg = qn.Datagram()
    getattr(dg, add)(value)
    assert bytes(dg) == struct.pack(fmt, value)
    read = getattr(qn.DatagramIterator(dg), get)
    it = read.__self__
    if "float32" in add:
        assert read() == pytest.approx(value, rel=1e-7)
    else:
        assert read() == value
    assert it.getRemainingSize() == 0


@pytest.mark.parametrize("add, value, get, fmt", INTEGERS, ids=[c[0] for c in INTEGERS])
def test_integer_limits_and_overflow(add, value, get, fmt):
    size = struct.calcsize(fmt)
    signed = fmt[1].islower()
    low, high = (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << (8 * size)) - 1)
    dg = qn.Datagram()
    getattr(dg, add)(low)
    getattr(dg, add)(high)
    it = qn.DatagramIterator(dg)
    assert (getattr(it, get)(), getattr(it, get)()) == (low, high)
    for bad in (low - 1, high + 1):
        with pytest.raises(OverflowError, match="out of range"):
            getattr(dg, add)(bad)
    assert len(dg) == 2 * size  # nothing appended by the failed calls
    with pytest.raises(TypeError):
        getattr(dg, add)(1.5)
    with pytest.raises(TypeError):
        getattr(dg, add)("1")


def test_variable_length_types_round_trip_with_the_expected_bytes():
    dg = qn.Datagram()
    dg.addBool(True)
    dg.addBool(False)
    dg.addString("Monkey")
    dg.addString32("héllo")
    dg.addZString("zed")
    dg.addFixedString("abc", 5)
    dg.addFixedString("abcdef", 2)
    dg.addWstring("A\u00e9")
    dg.addBlob(b"blob data \x00\xf2\xa0\x00\x00")
    dg.addBlob32(bytearray(b"\xc9\x8f\x00 test blob32"))
    dg.padBytes(3)
    dg.appendData(memoryview(b"raw"))
    expected = (b"\x01\x00" + b"\x06\x00Monkey" + struct.pack("<I", 6) + "héllo".encode() + b"zed\x00"
                + b"abc\x00\x00" + b"ab" + struct.pack("<IHH", 2, 0x41, 0xE9)
                + struct.pack("<H", 15) + b"blob data \x00\xf2\xa0\x00\x00"
                + struct.pack("<I", 15) + b"\xc9\x8f\x00 test blob32" + b"\x00" * 3 + b"raw")
    assert bytes(dg) == expected
    it = qn.DatagramIterator(dg)
    assert it.getBool() is True and it.getBool() is False
    assert it.getString() == "Monkey"
    assert it.getString32() == "héllo"
    assert it.getZString() == "zed"
    assert it.getFixedString(5) == "abc"
    assert it.getFixedString(2) == "ab"
    assert it.getWstring() == "A\u00e9"
    assert it.getBlob() == b"blob data \x00\xf2\xa0\x00\x00"
    assert it.getBlob32() == b"\xc9\x8f\x00 test blob32"
    it.skipBytes(3)
    assert it.getRemainingBytes() == b"raw"
    assert it.extractBytes(3) == b"raw"
    assert it.getRemainingSize() == 0


def test_bytes_are_accepted_where_panda3d_takes_a_string():
    dg = qn.Datagram()
    dg.add_string(b"\xff\xfe")  # bytes go in as they are, str as UTF-8
    assert bytes(dg) == b"\x02\x00\xff\xfe"
    it = qn.DatagramIterator(dg)
    with pytest.raises(UnicodeDecodeError):
        it.get_string()
    assert it.get_current_index() == 0  # nothing consumed: read it as a blob instead
    assert it.get_blob() == b"\xff\xfe"


def hex_bytes(text):
    return bytes.fromhex(text.replace("`", ""))


def documented_examples():
    """Every `add_x(args)` → `hex` example of docs/wire-format.md, as (call text, bytes)."""
    doc = (REPO / "docs" / "wire-format.md").read_text()
    examples = re.findall(r"`(add_\w+\([^`]*\))` → `([0-9A-Fa-f ]+)`", doc)
    assert len(examples) >= 8, "the wire-format examples moved: update this parser"
    return examples


@pytest.mark.parametrize("call, expected", documented_examples())
def test_bytes_match_docs_wire_format(call, expected):
    name, arguments = re.match(r"(\w+)\((.*)\)", call).groups()
    arguments = arguments.replace('L"', '"').replace("\\0", "\\x00")
    dg = qn.Datagram()
    getattr(dg, name)(*eval("(%s,)" % arguments))  # literals from the document only
    assert bytes(dg) == bytes.fromhex(expected)


def test_panda3d_datagram_test_cxx_case():
    # spec §6.2 DG-9: the values of Panda3D's net/test_datagram.cxx; length 54.
    dg = qn.NetDatagram()
    dg.addInt8(-10)
    dg.addUint8(200)
    dg.addInt16(-32000)
    dg.addUint16(64000)
    dg.addInt32(100000)
    dg.addFloat64(3.14159)
    dg.addFloat64(3.141592654378765689009887765567)
    dg.addString("Monkey")
    dg.addString("Purple Monkey!")
    dg.addInt32(200000)
    assert dg.getLength() == 54
    it = qn.DatagramIterator(dg)
    assert [it.getInt8(), it.getUint8(), it.getInt16(), it.getUint16(), it.getInt32()] == [-10, 200, -32000, 64000, 100000]
    assert it.getFloat64() == 3.14159
    assert it.getFloat64() == 3.141592654378765689009887765567
    assert [it.getString(), it.getString(), it.getInt32()] == ["Monkey", "Purple Monkey!", 200000]


@pytest.mark.parametrize("double", [False, True])
def test_upstream_round_trip_with_stdfloat(double):
    # spec §6.1 DG-1.
    dg = qn.Datagram()
    dg.setStdfloatDouble(double)
    assert dg.getStdfloatDouble() is double
    dg.addUint8(3)
    dg.addUint16(14159)
    dg.addUint32(0xDEADBEEF)
    dg.addUint64(0x0123456789ABCDEF)
    dg.addInt8(-77)
    dg.addInt16(-1)
    dg.addInt32(-972965890)
    dg.addInt64(-1001001001001001)
    dg.addString("this is a string")
    dg.addString32("this is another string")
    dg.addBlob(b"blob data \x00\xf2\xa0\x00\x00")
    dg.addStdfloat(800.2)
    dg.addStdfloat(3.1415926)
    it = qn.DatagramIterator(dg)
    assert [it.getUint8(), it.getUint16(), it.getUint32(), it.getUint64()] == [3, 14159, 0xDEADBEEF, 0x0123456789ABCDEF]
    assert [it.getInt8(), it.getInt16(), it.getInt32(), it.getInt64()] == [-77, -1, -972965890, -1001001001001001]
    assert [it.getString(), it.getString32(), it.getBlob()] == ["this is a string", "this is another string",
                                                                 b"blob data \x00\xf2\xa0\x00\x00"]
    assert it.getStdfloat() == pytest.approx(800.2, rel=1e-6)
    assert it.getStdfloat() == pytest.approx(3.1415926, rel=1e-6)
    assert it.getRemainingSize() == 0
    assert len(dg) == 1 + 2 + 4 + 8 + 1 + 2 + 4 + 8 + 18 + 26 + 17 + 2 * (8 if double else 4)


def test_construction_bytes_copy_assign_and_equality():
    # spec §6.1 DG-2..DG-4 and DG-6.
    dg = qn.Datagram(b"abc\x00")
    dg.appendData(b"\xff123")
    assert bytes(dg) == b"abc\x00\xff123"
    assert dg.getMessage() == b"abc\x00\xff123"
    assert isinstance(dg.getMessage(), bytes)
    assert len(dg) == dg.getLength() == 8
    assert qn.Datagram(bytearray(b"xy")) == qn.Datagram(b"xy")
    assert qn.Datagram() == qn.Datagram(b"")
    assert qn.Datagram(b"a") != qn.Datagram(b"b")
    assert qn.Datagram(b"a") < qn.Datagram(b"b")
    assert (qn.Datagram(b"a") == b"a") is False  # other types: not equal, no exception

    original = qn.Datagram(b"1234")
    copied = qn.Datagram(original)
    copied.appendData(b"5678")
    assert bytes(original) == b"1234" and bytes(copied) == b"12345678"
    assert bytes(copy.copy(original)) == b"1234" and bytes(copy.deepcopy(original)) == b"1234"

    assigned = qn.Datagram(b"zz")
    assigned.assign(original)
    assert assigned == original
    original.appendData(b"!")
    assert bytes(assigned) == b"1234"
    dg.clear()
    assert len(dg) == 0 and bytes(dg) == b""


@pytest.mark.parametrize("payload", [b"", b"abc\x00"])
def test_pickle_gives_a_plain_datagram(payload):
    # spec §6.1 DG-5: as Panda3D, subclass, connection and address are not kept.
    for dg in (qn.Datagram(payload), qn.NetDatagram(payload), qn.PyDatagram(payload)):
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(dg, protocol))
            assert type(back) is qn.Datagram
            assert back == dg and bytes(back) == payload


def test_net_datagram_copies_and_assign_from_datagram_clears_the_connection():
    address = qn.NetAddress()
    assert address.setHost("127.0.0.1", 4242)
    dg = qn.NetDatagram(b"xyz")
    dg.setAddress(address)
    assert dg.getConnection() is None
    copied = qn.NetDatagram(dg)
    assert copied.getAddress() == address and bytes(copied) == b"xyz"
    bytes_only = qn.NetDatagram(qn.Datagram(b"q"))
    assert bytes_only.getAddress() == qn.NetAddress()
    copied.assign(qn.Datagram(b"plain"))
    assert bytes(copied) == b"plain" and copied.getAddress() == qn.NetAddress()
    copied.assign(dg)
    assert copied.getAddress() == address
    dg.clear()
    assert len(dg) == 0 and dg.getAddress() == qn.NetAddress()
    assert qn.NetDatagram.maximum_udp_datagram == 1500


def test_reads_past_the_end_raise_and_move_nothing():
    dg = qn.Datagram(b"\x05\x00ab")  # a string announcing 5 bytes, 2 present
    it = qn.DatagramIterator(dg)
    with pytest.raises(qn.DatagramError, match="wanted 5 byte"):
        it.getString()
    assert it.getCurrentIndex() == 0
    for name in ("get_int64", "get_float64", "get_be_uint64", "get_blob32", "get_string32",
                 "get_wstring"):
        with pytest.raises(qn.DatagramError):
            getattr(it, name)()
        assert it.get_current_index() == 0
    with pytest.raises(qn.DatagramError):
        it.getFixedString(10)
    with pytest.raises(qn.DatagramError):
        it.extractBytes(5)
    with pytest.raises(qn.DatagramError):
        it.skipBytes(5)
    assert it.getUint16() == 5 and it.getRemainingBytes() == b"ab"
    with pytest.raises(qn.DatagramError, match="no terminating NUL"):
        it.getZString()
    # The exception is what Panda3D code catches (AssertionError) and an IndexError.
    assert issubclass(qn.DatagramError, AssertionError) and issubclass(qn.DatagramError, IndexError)
    with pytest.raises(qn.DatagramError, match="past the end"):
        qn.DatagramIterator(dg, 5)
    assert qn.DatagramIterator(dg, 4).getRemainingSize() == 0
    with pytest.raises(qn.DatagramError):
        qn.DatagramIterator().getUint8()
    assert qn.DatagramIterator().getRemainingSize() == 0


def test_too_long_strings_and_blobs_raise_and_append_nothing():
    dg = qn.Datagram()
    with pytest.raises(qn.DatagramError):
        dg.addString("x" * 65536)
    with pytest.raises(qn.DatagramError):
        dg.addBlob(b"x" * 65536)
    assert len(dg) == 0
    dg.addString32("x" * 65536)
    assert len(dg) == 4 + 65536


def test_wrong_argument_types_raise_type_error():
    dg = qn.Datagram()
    for call in (lambda: dg.addString(5), lambda: dg.addBlob("text"), lambda: dg.appendData(None),
                 lambda: qn.Datagram(5), lambda: qn.DatagramIterator(b"abc"), lambda: dg.addFloat64("1"),
                 lambda: dg.assign(b"x"), lambda: qn.NetDatagram().setConnection(dg)):
        with pytest.raises(TypeError):
            call()


def test_iterator_keeps_its_datagram_and_survives_it_shrinking():
    it = qn.DatagramIterator(qn.Datagram(b"\x01\x02\x03\x04"))  # the only reference is the iterator's
    assert it.getUint16() == 0x0201
    assert bytes(it.getDatagram()) == b"\x01\x02\x03\x04"
    dg = qn.NetDatagram(b"\x01\x02\x03\x04")
    it = qn.DatagramIterator(dg, 3)
    assert it.getDatagram() is dg
    dg.clear()  # modifying a datagram under its iterator: an exception, never a stray read
    for name in ("get_uint8", "get_string", "get_blob", "get_remaining_bytes", "get_remaining_size"):
        with pytest.raises(qn.DatagramError, match="shortened"):
            getattr(it, name)()


def test_py_datagram_helpers():
    dg = qn.PyDatagram()
    dg.addServerHeader(0x1122, 0x3344, 0x5566)
    dg.addServerControlHeader(7)
    dg.addChannel(9)
    assert bytes(dg) == (struct.pack("<bQQH", 1, 0x1122, 0x3344, 0x5566) + struct.pack("<bQH", 1, 1, 7)
                         + struct.pack("<Q", 9))
    assert isinstance(dg, qn.Datagram)
    it = qn.PyDatagramIterator(dg)
    assert it.getInt8() == 1 and it.getChannel() == 0x1122 and it.getChannel() == 0x3344
    assert qn.PyDatagramIterator(qn.PyDatagram(b"\x01"), 1).getRemainingSize() == 0
    assert qn.PyDatagramIterator().getRemainingSize() == 0


def test_text_forms(capsys):
    dg = qn.Datagram(b"AB\x00")
    assert str(dg) == "Datagram" and repr(dg) == "Datagram(b'AB\\x00')"
    dg.dumpHex()
    out = capsys.readouterr().out
    assert out.startswith("0000") and "41 42 00" in out and out.rstrip().endswith("AB.")
    lines = []

    class Sink:
        def write(self, text):
            lines.append(text)

    dg.dump_hex(Sink(), 2)
    assert "".join(lines) == "  " + out
