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
#include <system_error>
#include <vector>

#include "backends/backend.h"
#include "engine/connection_core.h"
#include "engine/loop_counters.h"
#include "engine/result_queue.h"
#include "engine/socket_address.h"

namespace queuednet {
class ConnectionManager;
}

namespace queuednet::detail {

class EventLoop;

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  // Throws std::system_error when the requested backend cannot start.
  Engine(int num_threads, BackendId kind);
  ~Engine();

  int num_threads() const { return num_threads_.load(std::memory_order_acquire); }
  bool polled() const { return num_threads() == 0; }
  BackendId backend_kind() const { return backend_kind_; }
  // Turns a not-yet-started polled engine into one with `n` workers. False (and *why) when it
  // has already started.
  bool request_threads(int n, std::string *why);

  // Wraps an open socket in a connection owned by the next loop (in the application's handle,
  // wrap_in_handle) and registers it (TCP streams get TCP_NODELAY unless the default is off).
  // nullptr, with the socket closed and *why set, when the engine is shut down or its workers
  // cannot start.
  ConnectionRef adopt(int fd, ChannelKind kind, const SocketAddress &address, std::string *why);
  EventLoop &loop_of(const ConnectionCore &c) { return *loops_[c.loop_index]; }
  // True if it was registered (and is no longer).
  bool unregister(const ConnectionCore *c);
  size_t num_registered() const;
  // Bytes writers accepted that the kernel has not taken yet, over every connection, as far
  // as the loops have seen them (a loop sees a send() when it next writes that connection).
  size_t total_pending_output() const;
  // Polled mode: datagrams delivered to reader queues and not taken yet. The write rule's
  // "nothing is waiting to be read" is this count being zero.
  std::atomic<int64_t> &waiting_datagrams() { return waiting_datagrams_; }
  // Loop thread: reports a connection lost (once), after its datagrams were queued.
  void report_reset(const ConnectionRef &c, uint32_t loop, const std::string &why);
  ResultQueue<ConnectionRef> &resets() { return resets_; }

  // Polled mode: one turn of the loop with this timeout; returns the number of socket events
  // handled, or -1 when another thread is turning it or the engine is shut down. Threaded
  // mode: -1, does nothing.
  int poll(int timeout_ms);
  // Polled mode: how many times the loop has read its sockets, and when it last did (steady
  // clock, ns); 0 before it starts.
  uint64_t polled_turns() const;
  int64_t polled_last_turn_ns() const;
  // Polled mode: sleeps until the thread turning the loop ends its turn, or `timeout`.
  void wait_for_turn(std::chrono::nanoseconds timeout);
  // The application is going idle (a *_available() found nothing, or it starts waiting): what
  // send() queued is written now (polled mode, unless another thread is turning the loop and
  // will), or the workers are woken to write it (threaded mode).
  void application_idle();

  ConnectionManager *manager() const { return manager_.load(std::memory_order_acquire); }
  void set_manager(ConnectionManager *m) { manager_.store(m, std::memory_order_release); }
  std::chrono::milliseconds close_timeout() const { return std::chrono::milliseconds(close_timeout_ms_.load()); }
  void set_close_timeout(std::chrono::milliseconds t) { close_timeout_ms_.store(t.count()); }
  bool default_no_delay() const { return default_no_delay_.load(std::memory_order_relaxed); }
  void set_default_no_delay(bool on) { default_no_delay_.store(on, std::memory_order_relaxed); }

  // What each loop counted (eventually consistent): loops 0 .. num_loops()-1, none before the
  // engine starts.
  size_t num_loops() const { return started_.load(std::memory_order_acquire) ? loops_.size() : 0; }
  const LoopCounters &loop_counters(size_t loop) const;
  // Connections reported through the reset queue.
  uint64_t resets_reported() const { return resets_reported_.load(std::memory_order_relaxed); }

  // `signal` (a reader's or listener's queue) is closed when the engine shuts down, at once if
  // it has: no application thread keeps sleeping on a queue that no loop will fill again. Its
  // owner calls forget_on_shutdown before the signal goes away.
  void close_on_shutdown(QueueSignal *signal);
  void forget_on_shutdown(QueueSignal *signal);

  // The readiness descriptor of `signal` (a reader's or listener's queue, or resets()), made on
  // the first call (readiness_event.h): in polled mode an epoll set that also watches the
  // backend's descriptor and the loop's wake timer, which starts the engine (as a poll does);
  // with workers the queue's eventfd. -1 and *error when it cannot be made: polled on a
  // backend with no pollable descriptor (poll) is std::errc::operation_not_supported.
  int readiness_fd(QueueSignal &signal, std::error_code *error);

  // Flushes (bounded by close_timeout), closes every connection, joins the workers and closes
  // the queues given to close_on_shutdown. Idempotent. After it, adopt() returns nullptr.
  void shutdown();
  bool is_shut_down() const { return shut_down_.load(std::memory_order_acquire); }

 private:
  // Creates the loops and workers once. False (and *why) if a worker's backend cannot start;
  // the engine is then left unstarted, so a later call may try again.
  bool start(std::string *why);

  std::atomic<int> num_threads_;
  BackendId backend_kind_;
  std::unique_ptr<Backend> polled_backend_;  // probed at construction; the polled loop's

  std::mutex start_mutex_;
  std::atomic<bool> started_{false};
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::atomic<uint32_t> next_loop_{0};

  mutable std::mutex registry_mutex_;
  std::vector<ConnectionRef> registry_;  // the open connections, each at its core's registry_slot
  ResultQueue<ConnectionRef> resets_;
  std::atomic<int64_t> waiting_datagrams_{0};
  std::atomic<uint64_t> resets_reported_{0};

  std::mutex signals_mutex_;
  bool signals_closed_ = false;  // under signals_mutex_
  std::vector<QueueSignal *> signals_;

  std::atomic<ConnectionManager *> manager_{nullptr};
  std::atomic<int64_t> close_timeout_ms_{5000};
  std::atomic<bool> default_no_delay_{true};
  std::atomic<bool> shut_down_{false};
};

}  // namespace queuednet::detail
