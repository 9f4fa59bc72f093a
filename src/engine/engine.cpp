// Internal. See engine.h.
#include "engine/engine.h"

#include <unistd.h>

#include <system_error>

#include "engine/connection_core.h"
#include "engine/event_loop.h"
#include "log.h"
#include "queuednet/error.h"

namespace queuednet::detail {

Engine::Engine(int num_threads, BackendKind kind) : num_threads_(num_threads < 0 ? 0 : num_threads) {
  if (num_threads_ > static_cast<int>(kMaxLoops)) {
    throw std::system_error(make_error_code(queuednet::errc::invalid_argument),
                            "queuednet: at most " + std::to_string(kMaxLoops) + " worker threads");
  }
  std::string error;
  first_backend_ = make_backend(kind, &error);
  if (!first_backend_) throw std::system_error(make_error_code(queuednet::errc::invalid_argument), "queuednet: " + error);
  backend_kind_ = first_backend_->kind();
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

void Engine::start() {
  if (started_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(start_mutex_);
  if (started_.load()) return;
  const int n = num_threads_.load();
  const bool threaded = n > 0;
  const int count = threaded ? n : 1;
  for (int i = 0; i < count; ++i) {
    std::unique_ptr<Backend> backend;
    if (i == 0) {
      backend = std::move(first_backend_);
    } else {
      std::string error;
      backend = make_backend(backend_kind_, &error);
      if (!backend) throw std::system_error(make_error_code(queuednet::errc::invalid_argument), "queuednet: " + error);
    }
    loops_.push_back(std::make_unique<EventLoop>(*this, static_cast<uint32_t>(i), std::move(backend), threaded));
  }
  for (int i = 0; threaded && i < n; ++i) {
    workers_.emplace_back([loop = loops_[i].get()] { loop->run(); });
  }
  started_.store(true, std::memory_order_release);
}

std::shared_ptr<Connection> Engine::adopt(int fd, Connection::Kind kind, const NetAddress &address) {
  if (shut_down_.load(std::memory_order_acquire)) {
    ::close(fd);
    return nullptr;
  }
  start();
  const uint32_t loop = next_loop_.fetch_add(1, std::memory_order_relaxed) % static_cast<uint32_t>(loops_.size());
  auto core = std::make_unique<ConnectionCore>(shared_from_this(), fd, kind, loop, address);
  std::shared_ptr<Connection> c(new Connection(std::move(core)));
  std::lock_guard lock(registry_mutex_);
  registry_.emplace(c.get(), c);
  return c;
}

EventLoop &Engine::loop_of(const Connection &c) { return *loops_[c.core().loop_index]; }

bool Engine::unregister(const Connection *c) {
  std::lock_guard lock(registry_mutex_);
  return registry_.erase(c) > 0;
}

size_t Engine::num_registered() const {
  std::lock_guard lock(registry_mutex_);
  return registry_.size();
}

size_t Engine::total_pending_output() const {
  std::lock_guard lock(registry_mutex_);
  size_t total = 0;
  for (const auto &[raw, c] : registry_) total += c->core().queued_bytes.load(std::memory_order_relaxed);
  return total;
}

void Engine::report_reset(const std::shared_ptr<Connection> &c, uint32_t loop, const std::string &why) {
  if (c->core().reset_reported.exchange(true)) return;
  log(LogLevel::info, "lost connection " + c->core().address.to_string() + ": " + why);
  unregister(c.get());
  if (!resets_.push(loop, std::shared_ptr<Connection>(c)) && resets_.dropped() == 1) {
    log(LogLevel::error, "QueuedConnectionManager reset queue full! reset reports are dropped (overflow flag set)");
  }
}

int Engine::poll(int timeout_ms) {
  if (num_threads() > 0 || shut_down_.load(std::memory_order_acquire)) return -1;
  start();
  return loops_[0]->poll(timeout_ms);
}

void Engine::shutdown() {
  std::lock_guard lock(start_mutex_);
  if (shut_down_.exchange(true)) return;
  if (!started_.load()) return;
  const auto timeout = close_timeout();
  if (workers_.empty()) {
    loops_[0]->drain_and_close(timeout);
  } else {
    for (auto &loop : loops_) loop->stop(timeout);
    for (auto &w : workers_) w.join();
  }
  std::lock_guard reg(registry_mutex_);
  registry_.clear();
}

}  // namespace queuednet::detail
