"""queuednet: Panda3D's connection layer with Panda3D's Python names.

A Panda3D networking program switches by changing its imports::

    from queuednet import (QueuedConnectionManager, QueuedConnectionListener,
                           QueuedConnectionReader, ConnectionWriter, PointerToConnection,
                           NetAddress, NetDatagram, PyDatagram, PyDatagramIterator)

Every method has its C++ name (``open_TCP_server_rendezvous``) and Panda3D's camelCase name
(``openTCPServerRendezvous``). ``QueuedConnectionManager(num_threads)`` with ``num_threads > 0``
runs the network on worker threads; calls that can wait release the GIL.
"""

from ._queuednet import *  # noqa: F401,F403  (the classes and functions of the extension)
from ._queuednet import __doc__ as _extension_doc  # noqa: F401
from .py_datagram import PyDatagram, PyDatagramIterator  # noqa: F401
