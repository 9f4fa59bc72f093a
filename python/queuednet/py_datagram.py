"""PyDatagram and PyDatagramIterator: the helpers Panda3D's ``direct.distributed`` package puts
on top of Datagram and DatagramIterator, which the manual's networking code uses.

Only the parts that are plain encodings are provided: the channel helpers and the server
message headers of Panda3D's distributed-object protocol. ``putArg``/``getArg`` (which need
Panda3D's DC subatomic types) are not.
"""

from ._queuednet import Datagram, DatagramIterator

#: The channel number of control messages in Panda3D's message directors.
CONTROL_CHANNEL = 1


class PyDatagram(Datagram):
    """A Datagram with Panda3D's ``direct`` helpers. Pickles as a plain Datagram, as in Panda3D."""

    def add_channel(self, channel):
        """A channel number: a uint64."""
        self.add_uint64(channel)

    def add_server_header(self, channel, sender, code):
        """int8 1, uint64 channel, uint64 sender, uint16 message code."""
        self.add_int8(1)
        self.add_channel(channel)
        self.add_channel(sender)
        self.add_uint16(code)

    def add_server_control_header(self, code):
        """int8 1, uint64 CONTROL_CHANNEL, uint16 message code."""
        self.add_int8(1)
        self.add_channel(CONTROL_CHANNEL)
        self.add_uint16(code)

    addChannel = add_channel
    addServerHeader = add_server_header
    addServerControlHeader = add_server_control_header


class PyDatagramIterator(DatagramIterator):
    """A DatagramIterator with Panda3D's ``direct`` helpers; keeps its datagram alive."""

    def __init__(self, datagram=None, offset=0):
        if datagram is None:
            super().__init__()
        else:
            super().__init__(datagram, offset)
        self._datagram = datagram

    def get_channel(self):
        """A channel number: a uint64."""
        return self.get_uint64()

    getChannel = get_channel
