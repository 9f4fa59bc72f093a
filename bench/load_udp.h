// queuednet-echo-load over UDP: Panda3D's UDP framing (uint16 LE sum of the payload bytes, then
// the payload), raw sockets. Each payload starts with its sequence number (uint64 LE), so
// echoes may come back in any order; lost ones are counted, not fatal.
#pragma once

#include "load_common.h"

namespace load {

// A non-blocking UDP socket connected to the server, or -1 with errno set.
int open_udp(const Options &o);

// Keeps o.window datagrams in flight on each socket until stop_sending (or o.count per
// socket). A datagram whose echo is not back within o.loss_timeout is counted lost and
// replaced; an echo arriving after that is counted late. Echoes whose bytes differ from what
// was sent count as mismatches. Returns when nothing is in flight (at most o.loss_timeout
// after sending stops).
void run_udp_worker(const Options &o, const Sockets &sockets, Clock::time_point stop_sending, Stats &stats);

}  // namespace load
