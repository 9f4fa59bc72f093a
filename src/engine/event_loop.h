// Internal. EventLoop: owns a set of connections for their whole life and does all their I/O
// through one Backend: accept, receive, frame decoding, sends, closes.
//
// Polled mode: the loop has no thread; whoever calls poll() turns it, and tasks submitted from
// other threads run inline under the loop's lock. Threaded mode: run() is a worker thread's
// body; tasks from other threads go through a lock-free queue plus one coalesced wake-up.
// Thread contract: submit-style methods (start_reading ... close) from any thread; poll()
// from any thread (one at a time runs the loop, others return at once); run() by its worker.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <concurrentqueue/concurrentqueue.h>

#include "backends/backend.h"
#include "engine/connection_core.h"
#include "engine/reader_core.h"
#include "framing/tcp_frame_decoder.h"

namespace queuednet::detail {

class Engine;

class EventLoop final : public BackendEvents {
 public:
  EventLoop(Engine &engine, uint32_t index, std::unique_ptr<Backend> backend, bool threaded);
  ~EventLoop() override;

  BackendKind backend_kind() const { return backend_->kind(); }
  uint32_t index() const { return index_; }

  // Any thread. Each hands work to the loop that owns the connection.
  void start_reading(std::shared_ptr<Connection> c, std::shared_ptr<ReaderCore> reader);
  void stop_reading(std::shared_ptr<Connection> c);
  void start_accepting(std::shared_ptr<Connection> c, std::shared_ptr<ListenerCore> listener);
  void request_flush(std::shared_ptr<Connection> c);
  // Stops reading, writes what was queued (bounded by the close timeout), then closes.
  void close(std::shared_ptr<Connection> c);
  // Closes at once, discarding output, and reports a reset (slow consumer).
  void kill(std::shared_ptr<Connection> c);

  // Polled mode: one turn with the given timeout. Returns the number of socket events handled
  // (accepts, reads, closes), or -1 if another thread is turning the loop. With no channel and
  // no task it returns 0 without a system call.
  int poll(int timeout_ms);
  // Threaded mode: the worker's body; returns after stop() once every connection is closed.
  void run();
  // Any thread: begin shutdown (flush within `timeout`, then close everything).
  void stop(std::chrono::milliseconds timeout);
  // Polled mode: turn until every connection is closed or the timeout passes.
  void drain_and_close(std::chrono::milliseconds timeout);
  // Approximate number of open channels. Any thread.
  size_t num_channels() const { return num_channels_.load(std::memory_order_relaxed); }

  // BackendEvents (loop thread).
  void on_accept(uint64_t id, int fd) override;
  void on_data(uint64_t id, const unsigned char *data, size_t size, const sockaddr *from,
               socklen_t from_len) override;
  void on_read_closed(uint64_t id, int error) override;
  void on_writable(uint64_t id) override;
  void on_send_complete(uint64_t id, ssize_t result) override;

 private:
  enum class Op : uint8_t { read, unread, accept, flush, close, kill };
  struct Task {
    Op op = Op::flush;
    std::shared_ptr<Connection> conn;
    std::shared_ptr<ReaderCore> reader;
    std::shared_ptr<ListenerCore> listener;
  };
  struct Channel {
    uint64_t id = 0;
    std::shared_ptr<Connection> conn;
    ConnectionCore *core = nullptr;
    int fd = -1;
    ChannelKind kind = ChannelKind::stream;
    std::shared_ptr<ReaderCore> reader;
    std::shared_ptr<ListenerCore> listener;
    TcpFrameDecoder decoder;
    // Stream bytes a completion backend delivered after reading was turned off; fed to the
    // decoder when a reader takes the connection again, so nothing is lost.
    std::vector<unsigned char> parked;
    std::vector<unsigned char> out;   // being written; the kernel may hold it (send_pending)
    size_t out_off = 0;
    std::vector<unsigned char> next;  // queued behind `out` while a send is pending
    bool send_pending = false;
    bool wants_write = false;
    bool closing = false;
    bool dead = false;  // fd closed; kept only until the pending send completes
    std::chrono::steady_clock::time_point close_deadline{};
  };
  using Clock = std::chrono::steady_clock;

  void submit(Task &&task);
  // Polled mode, run_mutex_ held: drains queued tasks, runs `task` (if any), submits, unlocks.
  void run_inline(Task *task);
  void execute(Task &task);
  void drain_tasks();
  void turn(int timeout_ms);
  int next_timeout(int requested) const;
  void expire_closing();

  Channel *find(uint64_t id);
  Channel *channel_for(const std::shared_ptr<Connection> &c);
  void take_pending(Channel &ch);
  // Writes as much output as the socket takes. False if the channel was destroyed.
  bool pump(Channel &ch);
  void begin_close(Channel &ch, Clock::duration timeout);
  // Closes the socket and forgets the channel. `reset` reports it through the manager.
  void destroy(Channel &ch, bool reset, const std::string &why);
  // Queues one datagram for the channel's reader (drop-newest when full, logged once).
  void deliver(Channel &ch, const unsigned char *data, size_t size, const NetAddress &from);

  Engine &engine_;
  const uint32_t index_;
  std::unique_ptr<Backend> backend_;
  const bool threaded_;

  std::mutex run_mutex_;  // polled mode: who turns the loop
  std::atomic<std::thread::id> loop_thread_{};
  moodycamel::ConcurrentQueue<Task> tasks_;
  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> stop_deadline_ns_{0};

  std::unordered_map<uint64_t, std::unique_ptr<Channel>> channels_;
  std::atomic<size_t> num_channels_{0};
  uint64_t next_id_ = 0;
  size_t num_closing_ = 0;
  uint64_t activity_ = 0;  // socket events handled, for poll()'s result
};

}  // namespace queuednet::detail
