#!/usr/bin/env python3
"""The Panda3D manual's "Client-Server Connection" server, run on queuednet.

This is the manual's Python code with its imports changed and, where the manual hands its
polling functions to Panda3D's task manager, a plain loop that calls them. A listener polls for
new connections, a reader polls for datagrams, a writer broadcasts every message to every
client; a datagram of one byte or less asks the server to quit (as Panda3D's test_tcp_server),
and the server then closes everything the way the manual does.

    manual_server.py [--port 9099] [--duration 30] [--threads 0]

Prints "listening on 127.0.0.1:PORT", one line per event, and "server closed"; exits 0.
``--threads N`` turns on N worker threads (the only line that changes).
"""

import argparse
import sys
import time

# Panda3D:
#   from panda3d.core import QueuedConnectionManager, QueuedConnectionListener
#   from panda3d.core import QueuedConnectionReader, ConnectionWriter
#   from panda3d.core import PointerToConnection, NetAddress, NetDatagram
#   from direct.distributed.PyDatagram import PyDatagram
#   from direct.distributed.PyDatagramIterator import PyDatagramIterator
from queuednet import QueuedConnectionManager, QueuedConnectionListener
from queuednet import QueuedConnectionReader, ConnectionWriter
from queuednet import PointerToConnection, NetAddress, NetDatagram
from queuednet import PyDatagram, PyDatagramIterator
from queuednet import DatagramError, last_error

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--port", type=int, default=9099)
parser.add_argument("--duration", type=float, default=30)
parser.add_argument("--threads", type=int, default=0)
args = parser.parse_args()

cManager = QueuedConnectionManager(args.threads)
cListener = QueuedConnectionListener(cManager, 0)
cReader = QueuedConnectionReader(cManager, 0)
cWriter = ConnectionWriter(cManager, 0)

activeConnections = []  # We'll want to keep track of these later

port_address = args.port  # No-other TCP/IP services are using this port
backlog = 1000  # If we ignore 1,000 connection attempts, something is wrong!
tcpSocket = cManager.openTCPServerRendezvous("127.0.0.1", port_address, backlog)
if not tcpSocket:
    sys.exit("cannot listen: " + last_error().message)

cListener.addConnection(tcpSocket)
print("listening on 127.0.0.1:%d" % tcpSocket.getAddress().getPort(), flush=True)

quit_requested = False


def myProcessDataFunction(netDatagram):
    global quit_requested
    if netDatagram.getLength() <= 1:
        print("quit requested by %s" % netDatagram.getAddress(), flush=True)
        quit_requested = True
        return
    myIterator = PyDatagramIterator(netDatagram)
    try:
        messageToPrint = myIterator.getString()
    except (DatagramError, UnicodeDecodeError) as error:  # a short or garbled datagram
        print("ignored malformed datagram: %s" % error, flush=True)
        return
    # broadcast a message to all clients
    myPyDatagram = PyDatagram()
    myPyDatagram.addString(messageToPrint)
    for aClient in activeConnections:
        cWriter.send(myPyDatagram, aClient)
    print("broadcast '%s' to %d client(s)" % (messageToPrint, len(activeConnections)), flush=True)


def tskListenerPolling():
    if cListener.newConnectionAvailable():

        rendezvous = PointerToConnection()
        netAddress = NetAddress()
        newConnection = PointerToConnection()

        if cListener.getNewConnection(rendezvous, netAddress, newConnection):
            newConnection = newConnection.p()
            activeConnections.append(newConnection)  # Remember connection
            cReader.addConnection(newConnection)  # Begin reading connection
            print("client connected from %s" % netAddress, flush=True)


def tskReaderPolling():
    if cReader.dataAvailable():
        datagram = NetDatagram()  # catch the incoming data in this instance
        # Check the return value; if we were threaded, someone else could have
        # snagged this data before we did
        if cReader.getData(datagram):
            myProcessDataFunction(datagram)


def tskResetPolling():
    # Clients that went away (the manual leaves this to the reader of the API reference).
    lost = PointerToConnection()
    while cManager.getResetConnection(lost):
        if lost.p() in activeConnections:
            activeConnections.remove(lost.p())
        print("client %s left" % lost.p().getAddress(), flush=True)


# The manual: taskMgr.add(tskListenerPolling, ...); taskMgr.add(tskReaderPolling, ...)
deadline = time.monotonic() + args.duration
while not quit_requested and time.monotonic() < deadline:
    tskListenerPolling()
    tskReaderPolling()
    tskResetPolling()
    if not quit_requested:
        cReader.waitForData(0.05)  # sleep (without the GIL) until something happens

# terminate connection to all clients
for aClient in activeConnections:
    cReader.removeConnection(aClient)
    cManager.closeConnection(aClient)
activeConnections = []

# close down our listener
cManager.closeConnection(tcpSocket)
print("server closed", flush=True)
