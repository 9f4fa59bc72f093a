#!/usr/bin/env python3
"""The Panda3D manual's "Client-Server Connection" client, run on queuednet.

The manual's Python code with its imports changed: it connects with openTCPClientConnection,
sends a few chat lines built with PyDatagram, prints what the server sends back, then asks the
server to quit (an empty datagram) and waits until the server closes the connection.

    manual_client.py [--port 9099] [--messages 3] [--no-quit] [--threads 0]

Exits 0 when every message came back and (unless --no-quit, for servers that do not quit, such
as queuednet-echo-server) the server closed the connection.
"""

import argparse
import sys

# Panda3D:
#   from panda3d.core import QueuedConnectionManager, QueuedConnectionReader
#   from panda3d.core import ConnectionWriter, PointerToConnection, NetDatagram
#   from direct.distributed.PyDatagram import PyDatagram
#   from direct.distributed.PyDatagramIterator import PyDatagramIterator
from queuednet import QueuedConnectionManager, QueuedConnectionReader
from queuednet import ConnectionWriter, PointerToConnection, NetDatagram
from queuednet import PyDatagram, PyDatagramIterator
from queuednet import last_error

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--port", type=int, default=9099)
parser.add_argument("--messages", type=int, default=3)
parser.add_argument("--no-quit", action="store_true")
parser.add_argument("--threads", type=int, default=0)
args = parser.parse_args()

cManager = QueuedConnectionManager(args.threads)
cReader = QueuedConnectionReader(cManager, 0)
cWriter = ConnectionWriter(cManager, 0)

port_address = args.port  # same for client and server

# a valid server URL. You can also use a DNS name
# if the server has one, such as "localhost" or "panda3d.org"
ip_address = "127.0.0.1"

# how long until we give up trying to reach the server?
timeout_in_miliseconds = 3000  # 3 seconds

myConnection = cManager.openTCPClientConnection(ip_address, port_address, timeout_in_miliseconds)
if not myConnection:
    sys.exit("cannot connect: " + last_error().message)
cReader.addConnection(myConnection)  # receive messages from server


def myNewPyDatagram(text):
    myPyDatagram = PyDatagram()
    myPyDatagram.addString(text)
    return myPyDatagram


received = 0
for i in range(args.messages):
    cWriter.send(myNewPyDatagram("hello %d" % i), myConnection)
    for _ in range(100):  # up to 10 s
        if cReader.dataAvailable() or cReader.waitForData(0.1):
            break
    datagram = NetDatagram()
    if cReader.getData(datagram):
        myIterator = PyDatagramIterator(datagram)
        print("received '%s'" % myIterator.getString(), flush=True)
        received += 1

closed = True
if args.no_quit:
    cManager.closeConnection(myConnection)
else:
    cWriter.send(PyDatagram(), myConnection)  # an empty datagram asks the server to quit
    lost = PointerToConnection()
    for _ in range(100):
        if cManager.getResetConnection(lost):
            break
        cReader.waitForData(0.1)
    closed = lost.p() == myConnection
    print("server closed the connection" if closed else "server did not close the connection", flush=True)
sys.exit(0 if received == args.messages and closed else 1)
