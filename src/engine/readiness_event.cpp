// Internal. See readiness_event.h.
#include "engine/readiness_event.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace queuednet::detail {

std::unique_ptr<ReadinessEvent> ReadinessEvent::create(std::span<const int> sources, std::error_code *error) {
  std::unique_ptr<ReadinessEvent> event(new ReadinessEvent());
  const auto fail = [&] {
    *error = std::error_code(errno, std::generic_category());
    return nullptr;
  };
  event->event_fd_ = ::eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);  // readable at first
  if (event->event_fd_ < 0) return fail();
  if (sources.empty()) return event;
  event->set_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (event->set_fd_ < 0) return fail();
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: readable while any member is
  ev.data.fd = event->event_fd_;
  if (::epoll_ctl(event->set_fd_, EPOLL_CTL_ADD, event->event_fd_, &ev) != 0) return fail();
  for (int source : sources) {
    ev.data.fd = source;
    if (::epoll_ctl(event->set_fd_, EPOLL_CTL_ADD, source, &ev) != 0) return fail();
  }
  return event;
}

ReadinessEvent::~ReadinessEvent() { close(); }

void ReadinessEvent::close() {
  std::lock_guard lock(mutex_);
  if (set_fd_ >= 0) ::close(set_fd_);
  if (event_fd_ >= 0) ::close(event_fd_);
  set_fd_ = event_fd_ = -1;
}

void ReadinessEvent::write_event() {
  std::lock_guard lock(mutex_);
  const uint64_t one = 1;
  if (event_fd_ >= 0) {
    [[maybe_unused]] ssize_t r = ::write(event_fd_, &one, sizeof one);
  }
}

void ReadinessEvent::read_event() {
  std::lock_guard lock(mutex_);
  uint64_t count;
  if (event_fd_ >= 0) {
    [[maybe_unused]] ssize_t r = ::read(event_fd_, &count, sizeof count);
  }
}

}  // namespace queuednet::detail
