// The listening sockets of the hand-written baseline servers (baseline-epoll-echo,
// baseline-uring-echo, baseline-epoll-broadcast): one per serving thread, each with
// SO_REUSEPORT so the kernel spreads the connections over them. The first is bound to --port
// (0: an ephemeral port), the others to the port it got.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace bench {

// `count` listening TCP sockets on host:port, opened with SOCK_STREAM | SOCK_CLOEXEC |
// `socket_flags`; sets `port` to the port they share. A host that is not a dotted IPv4 address
// is a bad argument: one line "PROGRAM: --host: 'H' is not an IPv4 address (--help for usage)"
// on stderr, exit 2. A socket that cannot be opened, bound or set listening: one line
// "PROGRAM: cannot listen on H:P: reason" on stderr, exit 1.
inline std::vector<int> open_listeners(const char *program, const std::string &host, int &port, int count,
                                       int socket_flags) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    std::fprintf(stderr, "%s: --host: '%s' is not an IPv4 address (--help for usage)\n", program, host.c_str());
    std::exit(2);
  }
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    address.sin_port = htons(static_cast<uint16_t>(port));
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | socket_flags, 0);
    const int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0 || listen(fd, 4096) != 0) {
      std::fprintf(stderr, "%s: cannot listen on %s:%d: %s\n", program, host.c_str(), port, std::strerror(errno));
      std::exit(1);
    }
    if (i == 0) {
      socklen_t length = sizeof address;
      getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
      port = ntohs(address.sin_port);
    }
    fds.push_back(fd);
  }
  return fds;
}

}  // namespace bench
