#!/usr/bin/python3
"""Writes the seed corpora in tests/fuzz/corpus/ (run from anywhere; committed output).

The fuzzers read their input with LLVM's FuzzedDataProvider: byte strings from the front,
integers from the back (most significant byte first, value = min + raw % (max - min + 1)).
Seed is a small model of that so each seed means something (a valid frame stream, a datagram
read back element by element, an address literal).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


class Seed:
    def __init__(self):
        self.front = bytearray()
        self.back = []  # byte groups in the order they are consumed

    def bytes(self, data):
        self.front += data

    def string(self, data):
        # ConsumeRandomLengthString: a backslash doubles itself; "\\" + other ends the string.
        self.front += data.replace(b"\\", b"\\\\") + b"\\x"

    def int_in_range(self, lo, hi, value):
        rng, n = hi - lo, 0
        while n < 8 and (rng >> (8 * n)) > 0:
            n += 1
        raw = value - lo
        self.back.append(raw.to_bytes(n, "big") if n else b"")

    def integral(self, size, value, signed=False):
        lo = -(1 << (8 * size - 1)) if signed else 0
        hi = (1 << (8 * size - 1)) - 1 if signed else (1 << (8 * size)) - 1
        self.int_in_range(lo, hi, value)

    def data(self):
        tail = b"".join(self.back)
        return bytes(self.front) + bytes(reversed(tail))


def write(fuzzer, name, data):
    d = os.path.join(HERE, "corpus", fuzzer)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def pattern(n, seed):
    x = (seed * 2654435761 + 1) & 0xFFFFFFFF
    out = bytearray()
    for _ in range(n):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        out.append(x >> 24)
    return bytes(out)


# --- tcp_frame_decoder: mode, [raw: header], max choice, [max], stream length, stream, then
# (piece length, sink stop) pairs ------------------------------------------------------------
def frames(payloads, header):
    return b"".join(len(p).to_bytes(header, "little") + p for p in payloads)


def decoder_seed(mode, raw_header4, max_choice, max_size, stream, pieces):
    s = Seed()
    s.int_in_range(0, 3, mode)
    if mode == 3:
        s.integral(1, 1 if raw_header4 else 0)  # ConsumeBool: header 4 when odd
    s.int_in_range(0, 2, max_choice)
    if max_choice == 0:
        s.int_in_range(0, 512, max_size)
    # The stream length is drawn from what remains once these integers are taken.
    piece_groups = []
    left = len(stream)
    for p, stop in pieces:
        t = Seed()
        t.int_in_range(0, left, p)
        t.int_in_range(0, 3, stop)  # the sink stops after this many datagrams (0: never)
        piece_groups += t.back
        left -= p
    # The length's range is what remains when it is drawn: its own bytes, the stream and the
    # piece lengths. Find the size of the length field that is consistent with itself.
    rest = len(stream) + sum(len(g) for g in piece_groups)
    for n in range(0, 9):
        t = Seed()
        t.int_in_range(0, rest + n, len(stream))
        if len(t.back[0]) == n:
            break
    s.back += t.back
    s.bytes(stream)
    s.back += piece_groups
    return s.data()


write("tcp_frame_decoder", "header2-three-frames-small-pieces",
      decoder_seed(1, False, 2, 0, frames([b"abc", b"", pattern(300, 1)], 2), [(1, 0), (1, 0), (3, 0), (100, 1)]))
write("tcp_frame_decoder", "header4-max100-oversize-after-two",
      decoder_seed(2, False, 0, 100, frames([pattern(10, 2), pattern(100, 3)], 4) + (1000).to_bytes(4, "little") + b"xy",
                   [(5, 0), (50, 2)]))
write("tcp_frame_decoder", "header2-max65535-incomplete-tail",
      decoder_seed(1, False, 1, 0, frames([b"hello"], 2) + b"\xff\xff" + pattern(40, 4), [(2, 0), (1, 0), (6, 1)]))
write("tcp_frame_decoder", "header0-chunks", decoder_seed(0, False, 2, 0, b"hello world, unframed", [(3, 0), (0, 0), (5, 1)]))
write("tcp_frame_decoder", "raw-header4-chunks", decoder_seed(3, True, 2, 0, b"GET / HTTP/1.0\r\n\r\n", [(4, 0), (10, 0)]))


# --- datagram_iterator: stdfloat, offset, datagram bytes, then (op, size, rare-size flag) reads --
OPS = {"bool": 0, "int8": 1, "uint8": 2, "int16": 3, "uint16": 4, "int32": 5, "uint32": 6, "int64": 7,
       "uint64": 8, "float32": 9, "float64": 10, "stdfloat": 11, "be_uint32": 16, "be_float64": 19,
       "peek_uint16": 21, "string": 22, "string32": 23, "z_string": 24, "fixed_string": 25, "wstring": 26,
       "blob": 27, "blob32": 28, "skip": 29, "extract": 30, "remaining": 31}


def iterator_seed(stdfloat_double, offset, datagram, reads):
    s = Seed()
    s.integral(1, 1 if stdfloat_double else 0)
    s.int_in_range(0, 64, offset)
    s.string(datagram)
    for op, size in reads:
        s.int_in_range(0, 31, OPS[op])
        s.int_in_range(0, 80, size)
        s.int_in_range(0, 15, 1)  # not the rare huge size
    return s.data()


def lp(prefix, data):
    return len(data).to_bytes(prefix, "little") + data


dg1 = (struct.pack("<BHIQbhiq", 3, 14159, 0xDEADBEEF, 0x0123456789ABCDEF, -77, -1, -972965890, -1001001001001001)
       + lp(2, b"this is a string") + lp(4, b"this is another string") + lp(2, b"blob data \x00\xf2\xa0\x00\x00")
       + lp(4, b"\xc9\x8f\x00 test blob32") + struct.pack("<f", 800.2))
write("datagram_iterator", "dg1-elements-read-back",
      iterator_seed(False, 0, dg1, [("uint8", 0), ("uint16", 0), ("uint32", 0), ("uint64", 0), ("int8", 0),
                                    ("int16", 0), ("int32", 0), ("int64", 0), ("string", 0), ("string32", 0),
                                    ("blob", 0), ("blob32", 0), ("stdfloat", 0), ("remaining", 0)]))
dg9 = (struct.pack("<bBhHi", -10, 200, -32000, 64000, 100000) + struct.pack("<dd", 3.14159, 3.141592654378765)
       + lp(2, b"Monkey") + lp(2, b"Purple Monkey!") + struct.pack("<i", 200000))
write("datagram_iterator", "dg9-stdfloat-double-then-past-end",
      iterator_seed(True, 0, dg9, [("int8", 0), ("uint8", 0), ("int16", 0), ("uint16", 0), ("int32", 0),
                                   ("stdfloat", 0), ("float64", 0), ("string", 0), ("string", 0), ("int32", 0),
                                   ("uint8", 0), ("string", 0)]))
write("datagram_iterator", "strings-fixed-wide-z",
      iterator_seed(False, 2, b"\x00\x00" + b"abc\x00" + b"xy\x00\x00\x00" + struct.pack("<I", 2) + b"h\x00i\x00"
                    + lp(2, b"short") + b"\xff\xff",
                    [("z_string", 0), ("fixed_string", 5), ("wstring", 0), ("peek_uint16", 0), ("string", 0),
                     ("string", 0), ("extract", 2), ("skip", 1), ("remaining", 0)]))
write("datagram_iterator", "truncated-prefixes",
      iterator_seed(False, 0, lp(4, b"abcdef")[:7] + b"\x10", [("string32", 0), ("blob", 0), ("wstring", 0),
                                                              ("be_uint32", 0), ("be_float64", 0), ("extract", 9),
                                                              ("skip", 8), ("bool", 0)]))


# --- net_address: per address a selector (0 = raw sockaddr), then a port and a literal --------
def literal(s, host, port):
    s.int_in_range(0, 3, 1)
    s.integral(4, port, signed=True)
    s.string(host)


def raw_sockaddr(s, family_choice, sockaddr, length, noise):
    s.int_in_range(0, 3, 0)
    s.bytes(sockaddr.ljust(128, b"\x00"))
    s.int_in_range(0, 2, family_choice)
    s.int_in_range(0, 128, length)
    s.integral(8, noise)


s = Seed()
literal(s, b"127.0.0.1", 80)
literal(s, b"255.255.255.255", 9)
write("net_address", "ipv4-literals", s.data())
s = Seed()
literal(s, b"::1", 65536 + 443)
literal(s, b"::ffff:10.1.2.3", -1)
literal(s, b"fe80::1%1", 7)
write("net_address", "ipv6-literals-mapped-scoped", s.data())
s = Seed()
literal(s, b"no-such-host.invalid", 1)  # not numeric: skipped, never resolved
literal(s, b"0x7f.1", 2)
literal(s, b"10.0.0.1", 3)
write("net_address", "names-skipped-odd-ipv4-forms", s.data())
s = Seed()
raw_sockaddr(s, 0, struct.pack("<H", 2) + struct.pack(">H", 5000) + bytes([192, 168, 1, 2]) + b"\x01" * 8, 16, 0x55)
raw_sockaddr(s, 1, struct.pack("<H", 10) + struct.pack(">HI", 6000, 0) + b"\x00" * 10 + b"\xff\xff" + bytes([1, 2, 3, 4])
             + struct.pack("<I", 0), 28, 0xABCDEF)
write("net_address", "raw-sockaddrs", s.data())


# --- udp_packet: the input is both a payload and a received packet ----------------------------
write("udp_packet", "good-checksum", b"\x06\x00\x01\x02\x03")
write("udp_packet", "bad-checksum", b"\x07\x00\x01\x02\x03")
write("udp_packet", "abc", b"\x26\x01abc")
write("udp_packet", "checksum-wraps", b"\xd4\x2a" + b"\xff" * 300)
write("udp_packet", "one-byte", b"\x01")
