"""A broadcast server (the protocol of bench/broadcast_wire.h) that breaks it once, on purpose,
for tests/broadcast_check.sh: queuednet-broadcast-load must notice.

  faulty_broadcast_server.py --fault duplicate|reorder --port P [--duration SECONDS]

It acks each join to its sender and puts the connection in the room, and sends each data
datagram to every member of the sender's room, except for its one fault:
  duplicate  the first data datagram goes to its room a second time once no data has come for
             50 ms (after the load's last send), so the copy arrives after every delivery the
             load expects;
  reorder    the first data datagram is held back and sent right after the next one from the
             same sender.
Prints 'listening on 127.0.0.1:PORT backend=python threads=1' once ready and, on SIGINT or
SIGTERM or after --duration, 'summary: faults=N' (1 once the fault was committed).
"""
import argparse
import selectors
import signal
import socket
import time

IDLE_BEFORE_COPY = 0.05


class Server:
    def __init__(self, fault):
        self.fault = fault
        self.rooms = {}  # room id -> member sockets
        self.room_of = {}  # socket -> room id
        self.buffered = {}  # socket -> bytes of a frame not complete yet
        self.first = None  # the first data frame and its room
        self.faults = 0
        self.last_data = 0.0

    def send_to_room(self, room, frame):
        for member in self.rooms.get(room, []):
            try:
                member.sendall(frame)
            except OSError:
                pass  # the member has gone; its close is read next

    def on_frame(self, sock, frame):
        payload = frame[2:]
        if len(payload) == 5 and payload[:1] == b"J":
            room = int.from_bytes(payload[1:5], "little")
            self.rooms.setdefault(room, []).append(sock)
            self.room_of[sock] = room
            sock.sendall(frame)
            return
        if payload[:1] != b"D" or sock not in self.room_of:
            return
        room = self.room_of[sock]
        self.last_data = time.monotonic()
        if self.first is None:
            self.first = (frame, room)
            if self.fault == "reorder":
                return  # held back
        elif self.fault == "reorder" and self.faults == 0 and payload[1:5] == self.first[0][3:7]:
            self.send_to_room(room, frame)
            self.send_to_room(room, self.first[0])
            self.faults = 1
            return
        self.send_to_room(room, frame)

    def on_readable(self, selector, sock):
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            selector.unregister(sock)
            room = self.room_of.pop(sock, None)
            if room is not None:
                self.rooms[room].remove(sock)
            self.buffered.pop(sock, None)
            sock.close()
            return
        data = self.buffered.get(sock, b"") + data
        while len(data) >= 2 and len(data) - 2 >= int.from_bytes(data[:2], "little"):
            end = 2 + int.from_bytes(data[:2], "little")
            self.on_frame(sock, data[:end])
            data = data[end:]
        self.buffered[sock] = data

    def after_idle(self):
        if self.fault != "duplicate" or self.faults or self.first is None:
            return
        if time.monotonic() - self.last_data >= IDLE_BEFORE_COPY:
            self.send_to_room(self.first[1], self.first[0])
            self.faults = 1


def main():
    parser = argparse.ArgumentParser(description="A broadcast server that breaks the protocol once.")
    parser.add_argument("--fault", choices=["duplicate", "reorder"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--duration", type=float, default=0)
    args = parser.parse_args()
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))

    listener = socket.create_server(("127.0.0.1", args.port))
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    server = Server(args.fault)
    print("listening on 127.0.0.1:%d backend=python threads=1" % listener.getsockname()[1], flush=True)
    end = time.monotonic() + args.duration if args.duration > 0 else None
    while not stop and (end is None or time.monotonic() < end):
        for key, _ in selector.select(timeout=0.01):
            if key.fileobj is listener:
                conn, _ = listener.accept()
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                selector.register(conn, selectors.EVENT_READ)
            else:
                server.on_readable(selector, key.fileobj)
        server.after_idle()
    print("summary: faults=%d" % server.faults, flush=True)


if __name__ == "__main__":
    main()
