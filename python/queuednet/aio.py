"""queuednet.aio: a QueuedConnectionManager served by an asyncio event loop.

``AioManager`` holds a manager, a listener, a reader and a writer, and waits on their
readiness descriptors (``fileno()``) with ``loop.add_reader``: nothing polls on a timer, so
an idle server sleeps in the event loop's ``epoll_wait``::

    async def main():
        net = AioManager()                          # polled; AioManager(2): 2 worker threads
        net.listen(9099)
        async def accept():
            async for new in net.new_connections():  # new.connection is already read
                print("client from", new.address)
        asyncio.get_running_loop().create_task(accept())
        async for datagram in net:                  # every datagram of every connection
            net.send(datagram, datagram.getConnection())   # echo; never blocks
        net.close()

Polled mode (the default) does the network I/O on the event loop's thread, when a coroutine
waits for something (the manager's late writer writes the held end of a burst of sends that no
later call writes): a descriptor is watched only while a coroutine awaits its queue, and the
call that takes from it turns the manager's loop (unless the loop turned since that queue was
last found empty, under 1 ms ago; the descriptor then stays readable and the next call turns
it). With ``num_threads > 0`` the manager's workers
do the I/O and the descriptors tell the event loop when something was queued. Polled mode on
the poll backend has no descriptor: the constructor raises io.UnsupportedOperation.

Thread contract: an AioManager belongs to the event loop it was made in; use it from that
loop's thread.
"""

import asyncio
import collections

from ._queuednet import (ConnectionWriter, NetAddress, NetDatagram, PointerToConnection,
                         QueuedConnectionListener, QueuedConnectionManager, QueuedConnectionReader,
                         last_error)

__all__ = ["AioManager", "NewConnection", "ClosedError"]

NewConnection = collections.namedtuple("NewConnection", "rendezvous address connection")
NewConnection.__doc__ = "A connection the listener accepted: its rendezvous, the client's address, the connection."


class ClosedError(Exception):
    """The AioManager was closed while (or before) a coroutine awaited it."""


class _Source:
    """One queue of the manager (datagrams, new connections or resets), awaited through its
    readiness descriptor.

    The descriptor is level-triggered: it stays readable while items wait. So it is watched
    only while a coroutine awaits an item (watched with nobody to take them, the loop would
    spin), and a wake-up carries no item: the woken coroutine takes one itself, so a coroutine
    cancelled after its wake-up loses nothing. ``take()`` returns an item or None; a None
    means it found the queue empty, which makes the descriptor unreadable again.
    """

    def __init__(self, loop, fd, take):
        self._loop = loop
        self._fd = fd
        self._take = take
        self._getters = collections.deque()
        self._watching = False
        self._closed = False

    async def get(self):
        if self._closed:
            raise ClosedError("the AioManager is closed")
        item = None if self._getters else self._take()  # earlier waiters go first
        while item is None:
            future = self._loop.create_future()
            self._getters.append(future)
            self._update_watch()
            try:
                await future
            except BaseException:
                if future in self._getters:
                    self._getters.remove(future)
                elif future.done() and not future.cancelled() and future.exception() is None:
                    self._wake_one()  # woken, then cancelled: the wake-up goes to the next
                self._update_watch()
                raise
            if self._closed:
                raise ClosedError("the AioManager is closed")
            item = self._take()
        return item

    def _on_ready(self):
        self._wake_one()
        self._update_watch()

    def _wake_one(self):
        while self._getters:
            future = self._getters.popleft()
            if not future.done():
                future.set_result(None)
                return

    def _update_watch(self):
        want = bool(self._getters) and not self._closed
        if want and not self._watching:
            self._loop.add_reader(self._fd, self._on_ready)
        elif not want and self._watching:
            self._loop.remove_reader(self._fd)
        self._watching = want

    def close(self):
        self._closed = True
        while self._getters:
            future = self._getters.popleft()
            if not future.done():
                future.set_exception(ClosedError("the AioManager is closed"))
        self._update_watch()

    async def items(self):
        while True:
            try:
                item = await self.get()
            except ClosedError:
                return
            yield item


class AioManager:
    """A QueuedConnectionManager with its listener, reader and writer, for an asyncio loop.

    ``num_threads`` and ``backend`` are QueuedConnectionManager's. ``auto_read``: new
    connections are added to the reader before ``new_connections()`` hands them out. The
    objects stay reachable (``manager``, ``listener``, ``reader``, ``writer``) for whatever
    this class does not wrap; take from their queues only through this class.
    Must be made inside a running event loop (the loop it will use).
    """

    def __init__(self, num_threads=0, backend="auto", auto_read=True):
        self._loop = asyncio.get_running_loop()
        self.manager = QueuedConnectionManager(num_threads, backend)
        self.listener = QueuedConnectionListener(self.manager, 0)
        self.reader = QueuedConnectionReader(self.manager, 0)
        self.writer = ConnectionWriter(self.manager, 0)
        self._auto_read = auto_read
        self._polled = num_threads == 0
        self._closed = False
        self._datagrams = _Source(self._loop, self.reader.fileno(), self._take_datagram)
        self._connections = _Source(self._loop, self.listener.fileno(), self._take_connection)
        self._resets = _Source(self._loop, self.manager.fileno(), self._take_reset)

    # --- opening ------------------------------------------------------------------------------

    def listen(self, port, host="127.0.0.1", backlog=1000):
        """Opens a rendezvous on host:port (0: an ephemeral port) and listens on it; returns the
        rendezvous Connection (``.getAddress().getPort()`` is the port). OSError on failure."""
        rendezvous = self.manager.open_TCP_server_rendezvous(host, port, backlog)
        if not rendezvous or not self.listener.add_connection(rendezvous):
            raise OSError("cannot listen on %s:%d: %s" % (host, port, last_error().message))
        return rendezvous

    async def connect(self, host, port, timeout_ms=3000):
        """Connects to host:port (on the default executor: connecting may take up to the timeout)
        and adds the connection to the reader; returns it. OSError on failure."""
        manager = self.manager

        def open_connection():  # on the executor's thread, whose last_error() says why
            connection = manager.open_TCP_client_connection(host, port, timeout_ms)
            return connection, None if connection else last_error().message

        connection, why = await self._loop.run_in_executor(None, open_connection)
        if connection is None:
            raise OSError("cannot connect to %s:%d: %s" % (host, port, why))
        self.reader.add_connection(connection)
        return connection

    # --- receiving ----------------------------------------------------------------------------

    async def get(self):
        """The next datagram (a NetDatagram; ``getConnection()`` is where it came from). Raises
        ClosedError once the AioManager is closed."""
        return await self._datagrams.get()

    def __aiter__(self):
        """``async for datagram in aio_manager``: every datagram, until close()."""
        return self._datagrams.items()

    def datagrams(self):
        """An async iterator over datagrams, until close()."""
        return self._datagrams.items()

    def new_connections(self):
        """An async iterator over NewConnection(rendezvous, address, connection), until close()."""
        return self._connections.items()

    def resets(self):
        """An async iterator over the connections lost (each once, after its last datagram was
        queued; close_connection() it once its datagrams are taken), until close()."""
        return self._resets.items()

    # --- sending and closing ------------------------------------------------------------------

    def send(self, datagram, connection):
        """Queues the datagram for the connection; never blocks (the writer takes it into the
        connection's buffer and the manager writes it without waiting). False, with the reason in
        last_error(), if it was refused (closed connection, output past the writer's limits)."""
        return self.writer.send(datagram, connection)

    def close_connection(self, connection):
        """Closes one connection once what was sent to it is written (in the background)."""
        return self.manager.close_connection(connection)

    def close(self):
        """Ends every iterator and wait (ClosedError), stops watching the descriptors and
        releases the manager, whose destruction writes what was queued (bounded by its close
        timeout) and closes every connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for source in (self._datagrams, self._connections, self._resets):
            source.close()
        self.listener.shutdown()
        self.reader.shutdown()
        self.manager = self.listener = self.reader = self.writer = None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()

    # --- takes: an item, or None after a call that found the queue empty ----------------------

    def _take_datagram(self):
        datagram = NetDatagram()
        if self.reader.data_available() and self.reader.get_data(datagram):
            return datagram
        return None

    def _take_connection(self):
        rendezvous, address, connection = PointerToConnection(), NetAddress(), PointerToConnection()
        if not (self.listener.new_connection_available()
                and self.listener.get_new_connection(rendezvous, address, connection)):
            return None
        if self._auto_read:
            self.reader.add_connection(connection)
        return NewConnection(rendezvous.p(), address, connection.p())

    def _take_reset(self):
        if self._polled:
            self.reader.poll()  # the reset queue's calls do not turn the manager's loop
        lost = PointerToConnection()
        if self.manager.reset_connection_available() and self.manager.get_reset_connection(lost):
            return lost.p()
        return None
