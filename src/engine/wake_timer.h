// Internal. WakeTimer: a timerfd that makes a polled loop's readiness descriptors readable when
// the loop has work that no socket will announce: a timer (close timeouts, accept back-off,
// delayed datagrams) coming due, or work already in hand (a backend's sockets still to be
// read, requests other threads queued). Armed by whoever ends a turn (EventLoop::leave), with
// one timerfd_settime only when the deadline changes or the timer fired.
//
// Thread contract: open() once before the timer is published; fd() any thread; set() by the
// thread holding the loop's turn.
#pragma once

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <system_error>

namespace queuednet::detail {

class WakeTimer {
 public:
  using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, as the timerfd
  static constexpr Clock::time_point kNow = Clock::time_point::min();
  static constexpr Clock::time_point kNever = Clock::time_point::max();

  WakeTimer() = default;
  WakeTimer(const WakeTimer &) = delete;
  WakeTimer &operator=(const WakeTimer &) = delete;
  ~WakeTimer() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Creates the timerfd, due at once (the loop's state is judged at the next turn's end).
  bool open(std::error_code *error) {
    fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd_ < 0) {
      *error = std::error_code(errno, std::generic_category());
      return false;
    }
    arm(kNow);
    return true;
  }

  int fd() const { return fd_; }

  // Readable from `when` on (kNow: at once; kNever: not at all) until the next set().
  void set(Clock::time_point when) {
    const bool fired = armed_ != kNever && armed_ <= Clock::now();
    if (!fired && when == armed_) return;
    if (fired) {
      uint64_t expirations;
      [[maybe_unused]] ssize_t r = ::read(fd_, &expirations, sizeof expirations);
    }
    arm(when);
  }

 private:
  void arm(Clock::time_point when) {
    itimerspec spec{};  // all zero: disarmed
    if (when != kNever) {
      const int64_t since = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
      const int64_t ns = when == kNow ? 1 : std::max<int64_t>(1, since);
      spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
      spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
    }
    ::timerfd_settime(fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
    armed_ = when;
  }

  int fd_ = -1;
  Clock::time_point armed_ = kNever;
};

}  // namespace queuednet::detail
