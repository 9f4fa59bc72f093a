#!/usr/bin/env python3
"""Echo servers in Python on queuednet's polled mode, one per way of using the reader and the
writer, for bench/run_python_benchmarks.sh (their peers: bench/asyncio_echo_server.py).

    python_echo_server.py --port P --style manual|batch [--host 127.0.0.1] [--duration SECONDS]
        [--backend auto|io_uring|epoll|poll] [--batch 256]

--style manual  the Panda3D manual's loop, one datagram per call:
                    while reader.dataAvailable() and reader.getData(datagram):
                        writer.send(handle(datagram), datagram.getConnection())
--style batch   the batch API: reader.getDataBatch(n) takes up to n (payload bytes, connection)
                pairs in one call, and writer.sendBatch() sends the list of answers in one call.
Both call handle() once per datagram, as the asyncio server does. Between drains the listener
is polled for new connections, and reader.waitForData() turns the loop (reads what arrived).

Prints "listening on HOST:PORT backend=B threads=0", and on SIGINT/SIGTERM or after --duration a
"summary: ..." line; exits 0.
"""

import signal
import time

from python_cli import check_port, raise_fd_limit, server_parser

from queuednet import (QueuedConnectionManager, QueuedConnectionListener, QueuedConnectionReader,
                       ConnectionWriter, PointerToConnection, NetDatagram, last_error)

parser = server_parser(__doc__)
parser.add_argument("--style", choices=["manual", "batch"], required=True)
parser.add_argument("--backend", choices=["auto", "io_uring", "epoll", "poll"], default="auto")
parser.add_argument("--batch", type=int, default=256, help="datagrams per getDataBatch (batch style)")
args = parser.parse_args()
check_port(parser, args)
if args.batch < 1:
    parser.error("--batch: must be at least 1")
raise_fd_limit()

stopping = []
signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

manager = QueuedConnectionManager(0, args.backend)
listener = QueuedConnectionListener(manager, 0)
reader = QueuedConnectionReader(manager, 0)
writer = ConnectionWriter(manager, 0)
reader.setMaxQueueSize(1 << 24)  # an echo server queues all it has accepted
rendezvous = manager.openTCPServerRendezvous(args.host, args.port, 4096)
if not rendezvous:
    raise SystemExit("python_echo_server.py: cannot listen on %s:%d: %s"
                     % (args.host, args.port, last_error().message))
listener.addConnection(rendezvous)
print("listening on %s:%d backend=%s threads=0" % (args.host, rendezvous.getAddress().getPort(),
                                                   manager.getBackend()), flush=True)

counts = {"connections": 0, "in": 0, "out": 0}


def handle(message):
    """The application's work for one datagram: the answer to send back (here, the message)."""
    return message


def accept_new():
    connection = PointerToConnection()
    while listener.newConnectionAvailable() and listener.getNewConnection(connection):
        reader.addConnection(connection)
        counts["connections"] += 1


def drain_manual():
    """The manual's loop; returns how many datagrams it echoed."""
    n = sent = 0
    datagram = NetDatagram()
    while reader.dataAvailable() and reader.getData(datagram):
        sent += writer.send(handle(datagram), datagram.getConnection())
        n += 1
    counts["in"] += n
    counts["out"] += sent
    return n


def drain_batch():
    """One batch taken and answered; returns how many datagrams."""
    batch = reader.getDataBatch(args.batch)
    if batch:
        counts["out"] += writer.sendBatch([(handle(payload), connection) for payload, connection in batch])
        counts["in"] += len(batch)
    return len(batch)


drain = drain_manual if args.style == "manual" else drain_batch
start = time.monotonic()
while not stopping and not (args.duration > 0 and time.monotonic() - start >= args.duration):
    accept_new()
    if not drain():
        reader.waitForData(0.01)
seconds = time.monotonic() - start
print("summary: connections=%d datagrams_in=%d datagrams_out=%d seconds=%.2f"
      % (counts["connections"], counts["in"], counts["out"], seconds), flush=True)
