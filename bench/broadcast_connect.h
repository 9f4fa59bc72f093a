// queuednet-broadcast-load's connections: many TCP connects at once, bounded in time.
#pragma once

#include <string>
#include <vector>

namespace broadcast {

// Opens `count` TCP connections to the IPv4 address `host`:`port` with non-blocking connects,
// at most 256 in progress at a time, all within `timeout_seconds`. Returns their descriptors
// (non-blocking, TCP_NODELAY), or nothing with the reason in `error`.
std::vector<int> connect_all(const std::string &host, int port, size_t count, double timeout_seconds,
                             std::string &error);

}  // namespace broadcast
