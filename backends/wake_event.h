// Internal. The eventfd a backend's wake() writes and its wait() watches: every backend's
// wake-up, in one place. Thread contract: signal() from any thread; the rest on the loop's
// thread.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace queuednet::detail {

class WakeEvent {
 public:
  WakeEvent() = default;
  WakeEvent(const WakeEvent &) = delete;
  WakeEvent &operator=(const WakeEvent &) = delete;
  ~WakeEvent() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Creates the eventfd; false with the reason in *error if it cannot.
  bool open(std::string *error) {
    fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd_ < 0) *error = std::string("eventfd: ") + std::strerror(errno);
    return fd_ >= 0;
  }

  int fd() const { return fd_; }

  // Any thread: makes the descriptor readable.
  void signal() const {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(fd_, &one, sizeof one);
  }

  // Makes it unreadable again: one read takes the whole count (not a semaphore eventfd).
  void clear() const {
    uint64_t count;
    [[maybe_unused]] ssize_t r = ::read(fd_, &count, sizeof count);
  }

 private:
  int fd_ = -1;
};

}  // namespace queuednet::detail
