// Non-blocking TCP connects for the load programs that drive connections from epoll loops
// (queuednet-churn-load, queuednet-idle-load, queuednet-broadcast-load): start a connect, learn
// later how it ended.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace bench {

// The IPv4 address HOST:PORT; false if HOST is not a dotted IPv4 address.
inline bool ipv4_address(const std::string &host, int port, sockaddr_in &out) {
  out = sockaddr_in{};
  out.sin_family = AF_INET;
  out.sin_port = htons(static_cast<uint16_t>(port));
  return inet_pton(AF_INET, host.c_str(), &out.sin_addr) == 1;
}

// A non-blocking socket whose connect to `to` is under way (or done), with TCP_NODELAY; -1 with
// errno set if the connect failed at once.
inline int start_connect(const sockaddr_in &to) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<const sockaddr *>(&to), sizeof to) == 0 || errno == EINPROGRESS) return fd;
  const int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

// How a connect started by start_connect ended, once the socket reported writable or an error:
// 0 when connected, else the errno value.
inline int connect_result(int fd) {
  int error = 0;
  socklen_t len = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return errno;
  return error;
}

}  // namespace bench
