// Internal. poll() backend: the portable floor, level-triggered, with no descriptor limit
// (fd_set-based polling stops at 1,024). POLLIN is requested only while the loop reads a
// socket, POLLOUT only while it has bytes waiting.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "backends/backend.h"
#include "backends/readiness_io.h"
#include "backends/slot_table.h"
#include "backends/wake_event.h"

namespace queuednet::detail {
namespace {

constexpr size_t kMaxEvents = 256;  // sockets served per wait (see epoll_backend.cpp)

class PollBackend final : public Backend {
 public:
  explicit PollBackend(std::unique_ptr<WakeEvent> wake) : wake_(std::move(wake)) {
    fds_.push_back(pollfd{wake_->fd(), POLLIN, 0});
    ids_.push_back(0);
  }

  BackendId kind() const override { return BackendId::poll; }

  void add(uint64_t id, int fd, ChannelKind kind) override {
    Entry &e = entries_.insert(id);
    e.index = fds_.size();
    e.kind = kind;
    fds_.push_back(pollfd{fd, 0, 0});
    ids_.push_back(id);
  }

  void set_reading(uint64_t id, bool on) override {
    set_flag(id, POLLIN, on);
    if (on) ready_.push_back(id);  // serve it once even if poll() reports nothing new
  }

  ssize_t send(uint64_t, int fd, const unsigned char *data, size_t size) override {
    return ReadinessIo::send(fd, data, size);
  }

  void want_writable(uint64_t id, bool on) override { set_flag(id, POLLOUT, on); }

  void remove(uint64_t id, int) override {
    const Entry *e = entries_.find(id);
    if (e == nullptr) return;
    const size_t i = e->index;
    const size_t last = fds_.size() - 1;
    if (i != last) {
      fds_[i] = fds_[last];
      ids_[i] = ids_[last];
      entries_.find(ids_[i])->index = i;
    }
    fds_.pop_back();
    ids_.pop_back();
    entries_.erase(id);
  }

  void wait(int timeout_ms, BackendEvents &events) override {
    if (next_fired_ == fired_.size()) collect(ready_.empty() ? timeout_ms : 0);
    again_.swap(ready_);
    // At most kMaxEvents sockets per wait, as epoll: the rest are served by the next waits,
    // before poll() is asked again (a socket closed meanwhile is no longer found by its id).
    const size_t end = std::min(fired_.size(), next_fired_ + kMaxEvents);
    for (; next_fired_ < end; ++next_fired_) {
      const auto [id, what] = fired_[next_fired_];
      if (entries_.find(id) == nullptr) continue;  // removed since poll() reported it
      if ((what & (POLLHUP | POLLERR)) && events_of(id) == 0) park(id);  // else poll() spins on it
      if (what & (POLLIN | POLLHUP | POLLERR)) serve_read(id, (what & (POLLHUP | POLLERR)) != 0, events);
      if (what & (POLLOUT | POLLHUP | POLLERR)) {
        const Entry *e = entries_.find(id);
        if (e != nullptr && e->kind != ChannelKind::listener && (events_of(id) & POLLOUT)) events.on_writable(id);
      }
    }
    for (uint64_t id : again_) serve_read(id, false, events);
    again_.clear();
  }

  bool has_buffered_work() const override { return !ready_.empty() || next_fired_ < fired_.size(); }

  void wake() override { wake_->signal(); }

 private:
  struct Entry {
    uint64_t id = 0;
    size_t index = 0;  // position in fds_ / ids_
    ChannelKind kind = ChannelKind::stream;
  };

  // A hung-up socket nobody reads or writes is taken out of poll() (negative fd) until
  // interest in it returns.
  void park(uint64_t id) {
    int &fd = fds_[entries_.find(id)->index].fd;
    if (fd >= 0) fd = -fd - 1;
  }

  // Asks poll() which sockets fired; copies them out, since callbacks reorder fds_.
  void collect(int timeout_ms) {
    fired_.clear();
    next_fired_ = 0;
    if (::poll(fds_.data(), fds_.size(), timeout_ms) <= 0) return;
    if (fds_[0].revents & POLLIN) wake_->clear();
    for (size_t i = 1; i < fds_.size(); ++i) {
      if (fds_[i].revents != 0) fired_.emplace_back(ids_[i], fds_[i].revents);
    }
  }

  void set_flag(uint64_t id, short flag, bool on) {
    const Entry *e = entries_.find(id);
    if (e == nullptr) return;
    pollfd &p = fds_[e->index];
    if (on && p.fd < 0) p.fd = -p.fd - 1;
    p.events = static_cast<short>(on ? (p.events | flag) : (p.events & ~flag));
  }

  short events_of(uint64_t id) {
    const Entry *e = entries_.find(id);
    return e == nullptr ? 0 : fds_[e->index].events;
  }

  void serve_read(uint64_t id, bool peer_closed, BackendEvents &events) {
    const Entry *e = entries_.find(id);
    if (e == nullptr || !(fds_[e->index].events & POLLIN)) return;
    const int fd = fds_[e->index].fd;
    if (fd < 0) return;
    const ChannelKind kind = e->kind;  // callbacks may add or remove entries
    const Drain d = kind == ChannelKind::listener ? io_.accept_all(id, fd, events)
                                                  : io_.receive(id, fd, kind, peer_closed, events);
    if (d == Drain::more) ready_.push_back(id);
  }

  std::unique_ptr<WakeEvent> wake_;
  std::vector<pollfd> fds_;
  std::vector<uint64_t> ids_;
  SlotTable<Entry> entries_;
  std::vector<uint64_t> ready_;
  std::vector<uint64_t> again_;
  std::vector<std::pair<uint64_t, short>> fired_;  // what the last poll() reported
  size_t next_fired_ = 0;                           // the first of them not served yet
  ReadinessIo io_;
};

}  // namespace

std::unique_ptr<Backend> make_poll_backend(std::string *error) {
  auto wake = std::make_unique<WakeEvent>();
  if (!wake->open(error)) return nullptr;
  return std::make_unique<PollBackend>(std::move(wake));
}

}  // namespace queuednet::detail
