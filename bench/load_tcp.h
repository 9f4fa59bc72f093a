// queuednet-echo-load over TCP: wire format only (2- or 4-byte little-endian length, then the
// payload), raw sockets, so it checks a server independently of queuednet.
#pragma once

#include "load_common.h"

namespace load {

// A connected, non-blocking TCP socket with TCP_NODELAY (retries a full backlog for about a
// second), or -1 with errno set.
int connect_tcp(const Options &o);

// Keeps o.window datagrams in flight on each socket until stop_sending (or o.count per
// connection), then waits up to 10 s for the echoes still due. Every echoed byte is compared
// with what was sent; a mismatch, a closed connection or a missing echo fails that connection.
void run_tcp_worker(const Options &o, const Sockets &sockets, Clock::time_point stop_sending, Stats &stats);

}  // namespace load
