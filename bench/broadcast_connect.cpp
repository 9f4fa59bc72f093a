// queuednet-broadcast-load's connections (see broadcast_connect.h).
#include "broadcast_connect.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "tcp_connect.h"

namespace broadcast {

std::vector<int> connect_all(const std::string &host, int port, size_t count, double timeout_seconds,
                             std::string &error) {
  constexpr size_t kInProgress = 256;
  sockaddr_in to{};
  if (!bench::ipv4_address(host, port, to)) {
    error = "'" + host + "' is not an IPv4 address";
    return {};
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<int> fds;
  size_t connected = 0, in_progress = 0;
  std::vector<epoll_event> events(kInProgress);
  while (error.empty() && connected < count) {
    while (fds.size() < count && in_progress < kInProgress) {
      const int fd = bench::start_connect(to);
      if (fd < 0) {
        error = "connect: " + std::string(std::strerror(errno));
        break;
      }
      fds.push_back(fd);
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.fd = fd;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      ++in_progress;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (error.empty() && left.count() <= 0) {
      char why[128];
      std::snprintf(why, sizeof why, "%zu of %zu connections made within %g s", connected, count, timeout_seconds);
      error = why;
    }
    if (!error.empty()) break;
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), static_cast<int>(left.count()));
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (const int result = bench::connect_result(fd); result != 0) {
        error = "connect: " + std::string(std::strerror(result));
        break;
      }
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
      --in_progress;
      ++connected;
    }
  }
  close(ep);
  if (error.empty()) return fds;
  for (const int fd : fds) close(fd);
  return {};
}

}  // namespace broadcast
