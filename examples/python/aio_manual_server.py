#!/usr/bin/env python3
"""The Panda3D manual's "Client-Server Connection" server, on asyncio (queuednet.aio).

What manual_server.py does, with the manual's polling tasks turned into coroutines that await
the listener, the reader and the reset queue: every message is broadcast to every client; a
datagram of one byte or less asks the server to quit, and it then closes everything. Between
events the process sleeps in the event loop (no polling timer).

    aio_manual_server.py [--port 9099] [--duration 30] [--threads 0]

Prints "listening on 127.0.0.1:PORT", one line per event, and "server closed"; exits 0.
"""

import argparse
import asyncio

from queuednet import DatagramError, PyDatagram, PyDatagramIterator
from queuednet.aio import AioManager


async def serve(port, duration, threads):
    net = AioManager(threads)
    tcpSocket = net.listen(port)
    print("listening on 127.0.0.1:%d" % tcpSocket.getAddress().getPort(), flush=True)
    activeConnections = []
    quit_requested = asyncio.Event()

    async def listener():
        async for new in net.new_connections():  # already added to the reader
            activeConnections.append(new.connection)
            print("client connected from %s" % new.address, flush=True)

    async def reader():
        async for netDatagram in net:
            if netDatagram.getLength() <= 1:
                print("quit requested by %s" % netDatagram.getAddress(), flush=True)
                quit_requested.set()
                return
            try:
                messageToPrint = PyDatagramIterator(netDatagram).getString()
            except (DatagramError, UnicodeDecodeError) as error:
                print("ignored malformed datagram: %s" % error, flush=True)
                continue
            myPyDatagram = PyDatagram()
            myPyDatagram.addString(messageToPrint)
            for aClient in activeConnections:
                net.send(myPyDatagram, aClient)  # never blocks
            print("broadcast '%s' to %d client(s)" % (messageToPrint, len(activeConnections)), flush=True)

    async def resets():
        async for lost in net.resets():
            if lost in activeConnections:
                activeConnections.remove(lost)
            print("client %s left" % lost.getAddress(), flush=True)

    tasks = [asyncio.create_task(job()) for job in (listener, reader, resets)]
    try:
        await asyncio.wait_for(quit_requested.wait(), duration)
    except asyncio.TimeoutError:
        pass
    # terminate connection to all clients, then close down the listener
    for aClient in activeConnections:
        net.reader.remove_connection(aClient)
        net.close_connection(aClient)
    net.close_connection(tcpSocket)
    net.close()  # ends the coroutines' loops
    await asyncio.gather(*tasks)
    print("server closed", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9099)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.duration, args.threads))


if __name__ == "__main__":
    main()
