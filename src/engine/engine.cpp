// Internal. See engine.h.
#include "engine/engine.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <system_error>

#include "engine/connection_core.h"
#include "engine/event_loop.h"
#include "log.h"
#include "queuednet/error.h"

namespace queuednet::detail {

Engine::Engine(int num_threads, BackendId kind) : num_threads_(num_threads < 0 ? 0 : num_threads) {
  if (num_threads_ > static_cast<int>(kMaxLoops)) {
    throw std::system_error(make_error_code(queuednet::errc::invalid_argument),
                            "queuednet: at most " + std::to_string(kMaxLoops) + " worker threads");
  }
  std::string error;
  polled_backend_ = make_backend(kind, BackendOptions{}, &error);
  if (!polled_backend_) throw std::system_error(make_error_code(queuednet::errc::invalid_argument), "queuednet: " + error);
  backend_kind_ = polled_backend_->kind();
}

Engine::~Engine() { shutdown(); }

bool Engine::request_threads(int n, std::string *why) {
  std::lock_guard lock(start_mutex_);
  if (started_.load()) {
    *why = "the manager already has open connections or was polled; its thread count is fixed at " +
           std::to_string(num_threads_.load());
    return false;
  }
  if (n < 0 || n > static_cast<int>(kMaxLoops)) {
    *why = "thread count out of range";
    return false;
  }
  num_threads_.store(n, std::memory_order_release);
  return true;
}

bool Engine::start(std::string *why) {
  if (started_.load(std::memory_order_acquire)) return true;
  std::lock_guard lock(start_mutex_);
  if (started_.load()) return true;
  if (shut_down_.load()) {
    *why = "the manager is shut down";
    return false;
  }
  const int n = num_threads_.load();
  if (n == 0) {
    loops_.push_back(std::make_unique<EventLoop>(*this, 0, std::move(polled_backend_)));
  } else {
    // Each worker creates its own backend on its own thread (an io_uring ring then belongs
    // to that thread alone). The probe's backend is not needed.
    for (int i = 0; i < n; ++i) {
      auto loop = std::make_unique<EventLoop>(*this, static_cast<uint32_t>(i), nullptr);
      std::string error;
      if (!loop->start_worker(backend_kind_, &error)) {
        for (auto &started : loops_) started->stop(std::chrono::milliseconds(0));
        loops_.clear();  // joins the workers that did start
        *why = "worker " + std::to_string(i) + " could not start its " + std::string(backend_name(backend_kind_)) +
               " backend: " + error;
        log(LogLevel::error, *why);
        return false;
      }
      loops_.push_back(std::move(loop));
    }
    polled_backend_.reset();
  }
  started_.store(true, std::memory_order_release);
  return true;
}

ConnectionRef Engine::adopt(int fd, ChannelKind kind, const SocketAddress &address, std::string *why) {
  if (shut_down_.load(std::memory_order_acquire)) {
    ::close(fd);
    *why = "the manager is shut down";
    return nullptr;
  }
  if (!start(why)) {
    ::close(fd);
    return nullptr;
  }
  if (kind == ChannelKind::stream && default_no_delay()) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  const uint32_t loop = next_loop_.fetch_add(1, std::memory_order_relaxed) % static_cast<uint32_t>(loops_.size());
  auto core = std::make_unique<ConnectionCore>(shared_from_this(), fd, kind, loop, address);
  ConnectionRef c = wrap_in_handle(std::move(core));
  std::lock_guard lock(registry_mutex_);
  c->registry_slot.store(static_cast<uint32_t>(registry_.size()), std::memory_order_relaxed);
  registry_.push_back(c);
  return c;
}

bool Engine::unregister(const ConnectionCore *c) {
  ConnectionRef gone;  // let go after the lock: it may be the last reference
  std::lock_guard lock(registry_mutex_);
  const uint32_t slot = c->registry_slot.load(std::memory_order_relaxed);
  if (slot >= registry_.size() || registry_[slot].get() != c) return false;
  gone = std::move(registry_[slot]);
  if (slot + 1 != registry_.size()) {
    registry_[slot] = std::move(registry_.back());
    registry_[slot]->registry_slot.store(slot, std::memory_order_relaxed);
  }
  registry_.pop_back();
  return true;
}

size_t Engine::num_registered() const {
  std::lock_guard lock(registry_mutex_);
  return registry_.size();
}

size_t Engine::total_pending_output() const {
  if (!started_.load(std::memory_order_acquire)) return 0;
  uint64_t seen = 0, settled = 0;
  for (const auto &loop : loops_) {
    settled += loop->counters().bytes_settled.load(std::memory_order_relaxed);
    seen += loop->counters().bytes_out.load(std::memory_order_relaxed);
  }
  return seen > settled ? static_cast<size_t>(seen - settled) : 0;
}

void Engine::report_reset(const ConnectionRef &c, uint32_t loop, const std::string &why) {
  if (c->reset_reported.exchange(true)) return;
  resets_reported_.fetch_add(1, std::memory_order_relaxed);
  log(LogLevel::info, "lost connection " + c->address.to_string() + ": " + why);
  // A half-closed connection stays registered (close_connection closes it) until its socket is.
  if (c->fd.load() < 0) unregister(c.get());
  if (!resets_.push(loop, ConnectionRef(c)) && resets_.dropped() == 1) {
    log(LogLevel::error, "QueuedConnectionManager reset queue full! reset reports are dropped (overflow flag set)");
  }
  resets_.notify_waiters();
}

int Engine::poll(int timeout_ms) {
  if (num_threads() > 0 || shut_down_.load(std::memory_order_acquire)) return -1;
  std::string why;
  if (!start(&why)) return -1;
  return loops_[0]->poll(timeout_ms);
}

uint64_t Engine::polled_turns() const {
  return started_.load(std::memory_order_acquire) ? loops_[0]->turns() : 0;
}

int64_t Engine::polled_last_turn_ns() const {
  return started_.load(std::memory_order_acquire) ? loops_[0]->last_turn_ns() : 0;
}

void Engine::wait_for_turn(std::chrono::nanoseconds timeout) {
  if (polled() && started_.load(std::memory_order_acquire) && !is_shut_down()) loops_[0]->wait_for_turn(timeout);
}

void Engine::application_idle() {
  if (!started_.load(std::memory_order_acquire) || shut_down_.load(std::memory_order_acquire)) return;
  for (auto &loop : loops_) loop->application_idle();
}

const LoopCounters &Engine::loop_counters(size_t loop) const { return loops_[loop]->counters(); }

int Engine::readiness_fd(QueueSignal &signal, std::error_code *error) {
  if (const ReadinessEvent *made = signal.readiness(); made != nullptr && made->fd() >= 0) return made->fd();
  std::vector<int> sources;
  if (polled()) {
    std::string why;
    if (!start(&why)) {
      *error = make_error_code(queuednet::errc::shut_down);
      return -1;
    }
    const int backend = loops_[0]->backend_fd();
    if (backend < 0) {
      *error = std::make_error_code(std::errc::operation_not_supported);
      return -1;
    }
    const int timer = loops_[0]->wake_timer_fd(error);
    if (timer < 0) return -1;
    sources = {backend, timer};
  }
  return signal.readiness_fd(sources, error);
}

void Engine::close_on_shutdown(QueueSignal *signal) {
  std::lock_guard lock(signals_mutex_);
  if (signals_closed_) {
    signal->close();
  } else {
    signals_.push_back(signal);
  }
}

void Engine::forget_on_shutdown(QueueSignal *signal) {
  std::lock_guard lock(signals_mutex_);
  std::erase(signals_, signal);
}

void Engine::shutdown() {
  {
    std::lock_guard lock(start_mutex_);
    if (shut_down_.exchange(true)) return;
    if (started_.load()) {
      const auto timeout = close_timeout();
      if (num_threads() == 0) {
        loops_[0]->drain_and_close(timeout);
      } else {
        for (auto &loop : loops_) loop->stop(timeout);
        for (auto &loop : loops_) loop->join();
      }
      std::lock_guard reg(registry_mutex_);
      registry_.clear();
    }
  }
  std::lock_guard lock(signals_mutex_);
  signals_closed_ = true;
  for (QueueSignal *s : signals_) s->close();
  signals_.clear();
}

}  // namespace queuednet::detail
