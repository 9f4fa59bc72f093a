// Internal. poll() backend: the portable floor, level-triggered, with no descriptor limit
// (fd_set-based polling stops at 1,024). POLLOUT is requested only while a stream has bytes waiting.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backends/backend.h"
#include "backends/readiness_io.h"

namespace queuednet::detail {
namespace {

class PollBackend final : public Backend {
 public:
  explicit PollBackend(int wakefd) : wakefd_(wakefd) {
    fds_.push_back(pollfd{wakefd, POLLIN, 0});
    ids_.push_back(0);
  }
  ~PollBackend() override { ::close(wakefd_); }

  BackendKind kind() const override { return BackendKind::poll; }

  void add(uint64_t id, int fd, ChannelKind kind) override {
    index_[id] = fds_.size();
    fds_.push_back(pollfd{fd, 0, 0});
    ids_.push_back(id);
    kinds_[id] = kind;
  }

  void set_reading(uint64_t id, int, ChannelKind, bool on) override { set_flag(id, POLLIN, on); }

  ssize_t send(uint64_t, int fd, const unsigned char *data, size_t size) override {
    return ReadinessIo::send(fd, data, size);
  }

  void want_writable(uint64_t id, int, bool on) override { set_flag(id, POLLOUT, on); }

  void remove(uint64_t id, int) override {
    auto it = index_.find(id);
    if (it == index_.end()) return;
    const size_t i = it->second;
    const size_t last = fds_.size() - 1;
    if (i != last) {
      fds_[i] = fds_[last];
      ids_[i] = ids_[last];
      index_[ids_[i]] = i;
    }
    fds_.pop_back();
    ids_.pop_back();
    index_.erase(id);
    kinds_.erase(id);
  }

  void wait(int timeout_ms, BackendEvents &events) override {
    if (!ready_.empty()) timeout_ms = 0;
    const int n = ::poll(fds_.data(), fds_.size(), timeout_ms);
    std::vector<std::pair<uint64_t, short>> fired;  // callbacks reorder fds_, so copy first
    if (n > 0) {
      if (fds_[0].revents & POLLIN) {
        uint64_t v;
        while (::read(wakefd_, &v, sizeof v) > 0) {
        }
      }
      for (size_t i = 1; i < fds_.size(); ++i) {
        if (fds_[i].revents != 0) fired.emplace_back(ids_[i], fds_[i].revents);
      }
    }
    std::vector<uint64_t> again;
    again.swap(ready_);
    for (auto [id, what] : fired) {
      if ((what & (POLLHUP | POLLERR)) && events_of(id) == 0) park(id);  // else poll() spins on it
      if (what & (POLLIN | POLLHUP | POLLERR)) serve_read(id, (what & (POLLHUP | POLLERR)) != 0, events);
      if (what & (POLLOUT | POLLHUP | POLLERR)) {
        auto it = kinds_.find(id);
        if (it != kinds_.end() && it->second == ChannelKind::stream && (events_of(id) & POLLOUT)) {
          events.on_writable(id);
        }
      }
    }
    for (uint64_t id : again) serve_read(id, false, events);
  }

  void wake() override {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(wakefd_, &one, sizeof one);
  }

 private:
  // A hung-up socket nobody reads or writes is taken out of poll() (negative fd) until
  // interest in it returns.
  void park(uint64_t id) {
    int &fd = fds_[index_[id]].fd;
    if (fd >= 0) fd = -fd - 1;
  }

  void set_flag(uint64_t id, short flag, bool on) {
    auto it = index_.find(id);
    if (it == index_.end()) return;
    int &fd = fds_[it->second].fd;
    if (on && fd < 0) fd = -fd - 1;
    short &ev = fds_[it->second].events;
    ev = static_cast<short>(on ? (ev | flag) : (ev & ~flag));
  }

  short events_of(uint64_t id) const {
    auto it = index_.find(id);
    return it == index_.end() ? 0 : fds_[it->second].events;
  }

  void serve_read(uint64_t id, bool peer_closed, BackendEvents &events) {
    auto it = index_.find(id);
    if (it == index_.end() || !(fds_[it->second].events & POLLIN)) return;
    const int fd = fds_[it->second].fd;
    if (fd < 0) return;
    const ChannelKind kind = kinds_[id];
    const Drain d = kind == ChannelKind::listener ? io_.accept_all(id, fd, events)
                                                  : io_.receive(id, fd, kind, peer_closed, events);
    if (d == Drain::more) ready_.push_back(id);
  }

  int wakefd_;
  std::vector<pollfd> fds_;
  std::vector<uint64_t> ids_;
  std::unordered_map<uint64_t, size_t> index_;
  std::unordered_map<uint64_t, ChannelKind> kinds_;
  std::vector<uint64_t> ready_;
  ReadinessIo io_;
};

}  // namespace

std::unique_ptr<Backend> make_poll_backend(std::string *error) {
  const int wakefd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakefd < 0) {
    *error = std::string("eventfd: ") + std::strerror(errno);
    return nullptr;
  }
  return std::make_unique<PollBackend>(wakefd);
}

}  // namespace queuednet::detail
