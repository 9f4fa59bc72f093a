#!/usr/bin/env python3
"""An echo server in Python on queuednet's worker threads: every datagram goes back to the
connection it came from.

    threaded_echo_server.py --port P [--host 127.0.0.1] [--threads 2]
        [--backend auto|io_uring|epoll|poll] [--duration SECONDS]

With --threads N (N > 0) the manager's N workers do all socket I/O; an acceptor thread sleeps in
waitForConnection and adds new clients to the reader, and the main thread takes datagrams with
getData and echoes them (both calls wait without the GIL). One thread takes the datagrams, so
each connection's echoes leave in the order they came. --threads 0 is the manual's polled
mode: one loop does everything.

Same command line and output as queuednet-echo-server (bench/echo_server.cpp): prints
"listening on HOST:PORT backend=B threads=N", and on SIGINT/SIGTERM or after --duration a
"summary: ..." line; exits 0.
"""

import argparse
import resource
import signal
import threading
import time

from queuednet import (QueuedConnectionManager, QueuedConnectionListener, QueuedConnectionReader,
                       ConnectionWriter, PointerToConnection, NetDatagram, last_error)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--backend", default="auto")
parser.add_argument("--duration", type=float, default=0, help="0: until a signal")
args = parser.parse_args()

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

stop = threading.Event()
signal.signal(signal.SIGINT, lambda *_: stop.set())
signal.signal(signal.SIGTERM, lambda *_: stop.set())

manager = QueuedConnectionManager(args.threads, args.backend)
listener = QueuedConnectionListener(manager, 0)
reader = QueuedConnectionReader(manager, 0)
writer = ConnectionWriter(manager, 0)
reader.setMaxQueueSize(1 << 24)  # an echo server queues all it has accepted

rendezvous = manager.openTCPServerRendezvous(args.host, args.port, 4096)
if not rendezvous:
    raise SystemExit("cannot listen on %s:%d: %s" % (args.host, args.port, last_error().message))
listener.addConnection(rendezvous)
print("listening on %s:%d backend=%s threads=%d" % (args.host, rendezvous.getAddress().getPort(),
                                                   manager.getBackend(), manager.getNumThreads()), flush=True)

counts = {"connections": 0, "resets": 0, "in": 0, "out": 0, "bytes": 0, "refused": 0}


def accept_ready():
    """Adds every queued new connection to the reader; returns how many."""
    n = 0
    connection = PointerToConnection()
    while listener.getNewConnection(connection):
        reader.addConnection(connection)
        n += 1
    counts["connections"] += n
    lost = PointerToConnection()
    while manager.getResetConnection(lost):
        counts["resets"] += 1
    return n


def acceptor():
    while not stop.is_set():
        if listener.waitForConnection(0.1):
            accept_ready()


def echo_ready(datagram):
    """Echoes what is queued now (bounded); returns how many datagrams."""
    n = 0
    while n < 4096 and reader.getData(datagram):
        n += 1
        counts["bytes"] += datagram.getLength()
        if writer.send(datagram, datagram.getConnection(), True):
            counts["out"] += 1
        else:
            counts["refused"] += 1
    counts["in"] += n
    return n


start = time.monotonic()
threaded = manager.getNumThreads() > 0
accepting = threading.Thread(target=acceptor, name="acceptor") if threaded else None
if accepting:
    accepting.start()
datagram = NetDatagram()
try:
    while not stop.is_set():
        if args.duration > 0 and time.monotonic() - start >= args.duration:
            break
        busy = False
        if not threaded:
            listener.newConnectionAvailable()  # polls: accepts what is waiting
            busy = accept_ready() > 0
        if reader.dataAvailable():
            busy = echo_ready(datagram) > 0 or busy
        if not busy:
            reader.waitForData(0.01)
finally:
    stop.set()
    if accepting:
        accepting.join()
seconds = time.monotonic() - start
print("summary: connections=%d resets=%d datagrams_in=%d datagrams_out=%d bytes=%d refused=%d seconds=%.2f"
      % (counts["connections"], counts["resets"], counts["in"], counts["out"], counts["bytes"],
         counts["refused"], seconds), flush=True)
