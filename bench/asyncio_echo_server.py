#!/usr/bin/env python3
"""The asyncio echo server a Python programmer would write instead of queuednet: the peer of
bench/python_echo_server.py in bench/run_python_benchmarks.sh.

    asyncio_echo_server.py --port P [--host 127.0.0.1] [--duration SECONDS] [--uvloop]

An asyncio Protocol splits the byte stream into queuednet's frames (a 2-byte little-endian
length, then the payload), calls handle() once per datagram, and writes the framed answers of
one data_received() with one transport.write(). --uvloop runs the same code on uvloop's event
loop (Debian's python3-uvloop).

Prints "listening on HOST:PORT backend=asyncio|uvloop threads=0" once it accepts, and on
SIGINT/SIGTERM or after --duration a "summary: ..." line; exits 0.
"""

import asyncio
import signal
import time

from python_cli import check_port, raise_fd_limit, server_parser

counts = {"connections": 0, "in": 0, "bytes": 0}


def handle(payload):
    """The application's work for one datagram: the answer to send back (here, the payload)."""
    return payload


class EchoProtocol(asyncio.Protocol):
    def __init__(self):
        self.transport = None
        self.partial = b""  # the start of a frame not yet complete

    def connection_made(self, transport):
        self.transport = transport
        counts["connections"] += 1

    def data_received(self, data):
        if self.partial:
            data = self.partial + data
        answers = []
        pos, end, n = 0, len(data), 0
        while end - pos >= 2:
            size = data[pos] | data[pos + 1] << 8
            start = pos + 2
            if end - start < size:
                break
            answer = handle(data[start:start + size])
            answers.append(len(answer).to_bytes(2, "little"))
            answers.append(answer)
            pos = start + size
            n += 1
        self.partial = data[pos:]
        if answers:
            self.transport.write(b"".join(answers))
            counts["in"] += n
            counts["bytes"] += pos - 2 * n


async def serve(args):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = await loop.create_server(EchoProtocol, args.host, args.port, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print("listening on %s:%d backend=%s threads=0" % (args.host, port, "uvloop" if args.uvloop else "asyncio"),
          flush=True)
    start = time.monotonic()
    try:
        await asyncio.wait_for(stop.wait(), args.duration if args.duration > 0 else None)
    except asyncio.TimeoutError:
        pass
    server.close()
    return time.monotonic() - start


def main():
    parser = server_parser(__doc__)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    args = parser.parse_args()
    check_port(parser, args)
    raise_fd_limit()
    if args.uvloop:
        import uvloop
        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    else:
        runner = asyncio.Runner()
    with runner:
        seconds = runner.run(serve(args))
    print("summary: connections=%d datagrams_in=%d datagrams_out=%d bytes=%d seconds=%.2f"
          % (counts["connections"], counts["in"], counts["in"], counts["bytes"], seconds), flush=True)


main()
