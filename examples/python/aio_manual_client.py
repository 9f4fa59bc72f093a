#!/usr/bin/env python3
"""The Panda3D manual's "Client-Server Connection" client, on asyncio (queuednet.aio).

What manual_client.py does, awaiting instead of polling: it connects, sends a few chat lines
built with PyDatagram, prints what the server sends back, then asks the server to quit (an
empty datagram) and waits until the server closes the connection.

    aio_manual_client.py [--port 9099] [--messages 3] [--no-quit] [--threads 0]

Exits 0 when every message came back and (unless --no-quit) the server closed the connection.
"""

import argparse
import asyncio
import sys

from queuednet import PyDatagram, PyDatagramIterator
from queuednet.aio import AioManager


def myNewPyDatagram(text):
    myPyDatagram = PyDatagram()
    myPyDatagram.addString(text)
    return myPyDatagram


async def chat(port, messages, quit_server, threads):
    async with AioManager(threads) as net:
        myConnection = await net.connect("127.0.0.1", port, 3000)
        received = 0
        for i in range(messages):
            net.send(myNewPyDatagram("hello %d" % i), myConnection)
            try:
                datagram = await asyncio.wait_for(net.get(), 10)
            except asyncio.TimeoutError:
                break
            print("received '%s'" % PyDatagramIterator(datagram).getString(), flush=True)
            received += 1
        closed = True
        if quit_server:
            net.send(PyDatagram(), myConnection)  # an empty datagram asks the server to quit
            try:
                lost = await asyncio.wait_for(anext(net.resets()), 10)
            except asyncio.TimeoutError:
                lost = None
            closed = lost == myConnection
            print("server closed the connection" if closed else "server did not close the connection", flush=True)
        else:
            net.close_connection(myConnection)
        return received == messages and closed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9099)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--no-quit", action="store_true")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(chat(args.port, args.messages, not args.no_quit, args.threads)) else 1)


if __name__ == "__main__":
    main()
