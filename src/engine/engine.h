// Internal. Engine: the event loops of one ConnectionManager, its registry of open connections
// and its reset queue. 0 threads: one loop turned by the application (polled mode); N threads:
// N loops, one per worker thread. Connections are spread over the loops round-robin.
//
// The thread count may still change (request_threads) until the engine starts, which happens
// when the first connection is opened or the loop is first polled.
// Thread contract: every method from any thread unless noted.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "backends/backend.h"
#include "engine/result_queue.h"
#include "queuednet/connection.h"

namespace queuednet {
class ConnectionManager;
}

namespace queuednet::detail {

class EventLoop;
struct ConnectionCore;

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  // Throws std::system_error when the requested backend cannot start.
  Engine(int num_threads, BackendKind kind);
  ~Engine();

  int num_threads() const { return num_threads_.load(std::memory_order_acquire); }
  bool polled() const { return num_threads() == 0; }
  BackendKind backend_kind() const { return backend_kind_; }
  // Turns a not-yet-started polled engine into one with `n` workers. False (and *why) when it
  // has already started.
  bool request_threads(int n, std::string *why);

  // Wraps an open socket in a Connection owned by the next loop and registers it.
  std::shared_ptr<Connection> adopt(int fd, Connection::Kind kind, const NetAddress &address);
  EventLoop &loop_of(const Connection &c);
  // True if it was registered (and is no longer).
  bool unregister(const Connection *c);
  size_t num_registered() const;
  size_t total_pending_output() const;
  // Loop thread: report a connection lost (once), after its datagrams were queued.
  void report_reset(const std::shared_ptr<Connection> &c, uint32_t loop, const std::string &why);
  ResultQueue<std::shared_ptr<Connection>> &resets() { return resets_; }

  // Polled mode: one turn of the loop with this timeout; returns the number of socket events
  // handled, or -1 when another thread is turning it. Threaded mode: -1, does nothing.
  int poll(int timeout_ms);

  ConnectionManager *manager() const { return manager_.load(std::memory_order_acquire); }
  void set_manager(ConnectionManager *m) { manager_.store(m, std::memory_order_release); }
  std::chrono::milliseconds close_timeout() const { return std::chrono::milliseconds(close_timeout_ms_.load()); }
  void set_close_timeout(std::chrono::milliseconds t) { close_timeout_ms_.store(t.count()); }

  // Flushes (bounded by close_timeout), closes every connection and joins the workers.
  // Idempotent. After it, adopt() returns nullptr.
  void shutdown();
  bool is_shut_down() const { return shut_down_.load(std::memory_order_acquire); }

 private:
  void start();  // creates the loops and workers once

  std::atomic<int> num_threads_;
  BackendKind backend_kind_;
  std::unique_ptr<Backend> first_backend_;  // probed at construction, used by loop 0

  std::mutex start_mutex_;
  std::atomic<bool> started_{false};
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::vector<std::thread> workers_;
  std::atomic<uint32_t> next_loop_{0};

  mutable std::mutex registry_mutex_;
  std::unordered_map<const Connection *, std::shared_ptr<Connection>> registry_;
  ResultQueue<std::shared_ptr<Connection>> resets_;

  std::atomic<ConnectionManager *> manager_{nullptr};
  std::atomic<int64_t> close_timeout_ms_{5000};
  std::atomic<bool> shut_down_{false};
};

}  // namespace queuednet::detail
