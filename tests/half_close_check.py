#!/usr/bin/env python3
"""Clients that send their last datagrams and half-close at once (FIN right behind the data),
against queuednet-echo-server: each must get every echo, then the server's close.

  half_close_check.py PORT [CONNECTIONS] [FRAMES]

Exits 1 when an echo is missing or wrong. Standard library only; loopback; bounded in time.
"""
import socket
import struct
import sys


def main():
    port = int(sys.argv[1])
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    frames = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    clients = []
    for c in range(connections):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        wire = b"".join(struct.pack("<H", 8) + struct.pack("<II", c, i) for i in range(frames))
        s.sendall(wire)
        s.shutdown(socket.SHUT_WR)  # the FIN follows the frames at once
        clients.append((s, wire))
    lost = 0
    for s, wire in clients:
        got = b""
        try:
            while True:
                chunk = s.recv(65536)  # bounded by the socket timeout
                if not chunk:
                    break
                got += chunk
        except (TimeoutError, ConnectionError):
            pass  # counted below: what came is not the whole echo
        s.close()
        if got != wire:
            lost += 1
    print("half-close: connections=%d frames=%d complete=%d result=%s"
          % (connections, frames, connections - lost, "ok" if lost == 0 else "FAILED"))
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
