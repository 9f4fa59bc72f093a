// Internal. EventLoop: owns a set of connections for their whole life and does all their I/O
// through one Backend: accept, receive, frame decoding, delivery to readers, sends, closes.
//
// Polled mode: the loop has no thread of its own; whoever polls turns it (one thread at a
// time; the others return at once or wait for the turn to end), and the late writer
// (held_output.h) turns it briefly to write what the application left held. Threaded
// mode: run() is a worker's body.
// Other threads never touch a channel: they record what they want in the ConnectionCore and
// call sync(), which the loop applies on its thread (at once, in polled mode, when nobody is
// turning the loop).
//
// The write rule (output_policy.h; for users, connection_writer.h): a send() appends framed bytes
// to the connection and marks it for writing; the loop writes every marked connection with one
// system call (or one SQE) each
//  - polled mode: when the reader queues hold nothing (so a send with nothing waiting to be
//    read goes out before it returns, unless it joins output that waits for the loop's next
//    write or continues a burst: held_output.h), at every
//    turn (before waiting, and after), on flush() and on close; a long drain also writes a
//    connection once it holds kEagerFlushBytes.
//  - threaded mode: at the end of every worker turn; a send wakes a sleeping worker when the
//    application has taken every datagram of that connection, or when the application goes
//    idle (application_idle()).
//
// Thread contract: sync, output_queued, flush, application_idle, stop and wake from any
// thread; poll and drain_and_close by application threads (polled mode); run by its worker.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "backends/backend.h"
#include "engine/channel_table.h"
#include "engine/connection_core.h"
#include "engine/delay_line.h"
#include "engine/hand_off_queue.h"
#include "engine/held_output.h"
#include "engine/loop_counters.h"
#include "engine/output_policy.h"
#include "engine/reader_core.h"
#include "engine/wake_timer.h"

namespace queuednet::detail {

class Engine;

// Datagrams pushed to a reader's queue at once.
inline constexpr size_t kDeliveryBatch = 32;
// UDP packets sent with one sendmmsg.
inline constexpr size_t kPacketBatch = 64;

class EventLoop final : public BackendEvents {
 public:
  // Polled mode: `backend` is the loop's. Threaded mode: pass nullptr; run() creates the
  // backend on the worker's thread.
  EventLoop(Engine &engine, uint32_t index, std::unique_ptr<Backend> backend);
  ~EventLoop() override;

  uint32_t index() const { return index_; }
  size_t num_channels() const { return num_channels_.load(std::memory_order_relaxed); }
  // What this loop counted (written by the loop, readable from any thread).
  const LoopCounters &counters() const { return counters_; }
  // Polled mode: how many times the loop has read its sockets, and when it last did (steady
  // clock, ns). Any thread; hints under concurrency.
  uint64_t turns() const { return counters_.turns.load(std::memory_order_relaxed); }
  int64_t last_turn_ns() const { return last_turn_ns_.load(std::memory_order_relaxed); }

  // --- Any thread ---------------------------------------------------------------------------
  // Asks the loop to apply what the connection's core now requests (reader or listener,
  // close, kill, output).
  void sync(const ConnectionRef &c);
  // A writer appended `bytes` of output to `c` (need_sync: it was not marked yet). Applies the
  // write rule. The caller holds a reference to `c`.
  void output_queued(ConnectionCore &c, bool need_sync, size_t bytes) {
    if (!threaded_) {
      // A hint, not a count: concurrent senders may lose an update (no locked instruction).
      const size_t held = drain_held_.load(std::memory_order_relaxed) + bytes;
      drain_held_.store(held, std::memory_order_relaxed);
      // Polled mode, in the middle of a drain, to a connection already marked: its write waits
      // for the end of the drain (output_policy.h). Most sends stop here.
      if (write_waits_for_drain(need_sync, waiting_.load(std::memory_order_relaxed),
                                c.queued_bytes(), held)) {
        return;
      }
    }
    write_rule(c, need_sync);
  }
  // Polled mode: how many times the loop has begun writing every marked connection (wrapping).
  // Any thread.
  uint32_t write_epoch() const { return static_cast<uint32_t>(held_.epoch()); }
  // Writes the connection's output now (polled) or makes the worker write it at once.
  void flush(const ConnectionRef &c);
  // Threaded mode: the application is going idle; a worker with requests waiting handles them.
  void application_idle();

  // --- Polled mode ------------------------------------------------------------------------------
  // One turn: apply requests, write, wait up to timeout_ms (-1: no limit) for socket activity,
  // handle it. Returns the number of socket events handled, or -1 when another thread is
  // turning the loop. With no channel, no request and a zero timeout it makes no system call.
  int poll(int timeout_ms);
  // Sleeps until the thread turning the loop ends its turn, the loop stops, or `timeout`.
  void wait_for_turn(std::chrono::nanoseconds timeout);
  // Shutdown: interrupts a turn in progress, then writes what was queued (bounded by
  // `timeout`) and closes every connection.
  void drain_and_close(std::chrono::milliseconds timeout);
  // The backend's pollable descriptor (Backend::pollable_fd), -1 if it has none. Any thread.
  int backend_fd() const { return backend_->pollable_fd(); }
  // The loop's wake timer (wake_timer.h), made on the first call; from then on every turn's
  // end arms it. -1 and *error if it cannot be made. Any thread.
  int wake_timer_fd(std::error_code *error);

  // --- Threaded mode ----------------------------------------------------------------------------
  // Starts the worker thread, which creates its backend; waits until it is up. False (and
  // *error) when the backend cannot start; the loop is then unusable.
  bool start_worker(BackendId kind, std::string *error);
  // Begins shutdown: write what was queued within `timeout`, then close everything and return
  // from run(). Then join().
  void stop(std::chrono::milliseconds timeout);
  void join();

  // --- BackendEvents (loop thread) --------------------------------------------------------------
  bool on_accept(uint64_t id, int fd) override;
  void on_accept_refused(uint64_t id, int error) override;
  bool on_data(uint64_t id, const unsigned char *data, size_t size, const sockaddr *from,
               socklen_t from_len) override;
  void on_read_closed(uint64_t id, int error) override;
  void on_writable(uint64_t id) override;
  void on_send_complete(uint64_t id, ssize_t result) override;

 private:
  // A batch of datagrams for one reader, pushed at once, and the budget it fills (in
  // loop_input.cpp).
  class Delivery;
  struct InputLimit;
  struct Touched {
    std::shared_ptr<void> owner;  // keeps the queue alive until notified
    QueueSignal *signal;
  };

  // Turning (event_loop.cpp; the polled and worker drivers in loop_drivers.cpp).
  void run(BackendId kind);
  void write_rule(ConnectionCore &c, bool need_sync);  // output_queued's other cases
  void enqueue(ConnectionRef c);  // a request for a later drain
  void post(ConnectionRef c);     // ... and wake the worker
  void wake_worker();
  bool in_loop() const;
  // Polled mode: takes the turn if nobody has it (and this thread is not inside it already);
  // waits while the late writer has it.
  bool try_enter();
  bool try_enter_once();  // ... without waiting
  // The late writer (held_output.h): writes what is held if the turn is free; otherwise wakes
  // the thread that holds the turn if it sleeps in a wait.
  void write_late();
  // In a turn this thread took: applies the requests, writes every marked connection, leaves.
  void write_marked_and_leave();
  void leave();
  void notify_turn_waiters();
  void drain_requests();
  void turn(int timeout_ms);
  int next_timeout(int requested);
  // The earliest timer (a channel's deadline, a delayed datagram), or max() when none.
  Clock::time_point next_deadline();
  void run_timers();
  void notify_touched();
  // Shutdown (loop_drivers.cpp): begins closing every connection; then, once they are gone or
  // the deadline passed, closes what is left and lets the backend finish what was cancelled.
  void close_all(Clock::time_point deadline);
  void close_remaining();

  // Channels and requests (event_loop.cpp).
  // The live channel with this id, or nullptr.
  Channel *find(uint64_t id) {
    Channel *ch = channels_.get(id);
    return ch == nullptr || ch->dead ? nullptr : ch;
  }
  // `core`'s channel if it has a live one, or nullptr.
  static Channel *find(ConnectionCore &core) {
    Channel &ch = core.channel;
    return ch.id == 0 || ch.dead ? nullptr : &ch;
  }
  Channel *channel_for(ConnectionCore &c);
  void apply(ConnectionCore &c);
  void update_reading(Channel &ch);
  void set_reading(Channel &ch, bool on);
  void add_timer(Channel &ch, Clock::time_point deadline);

  // Input (loop_input.cpp).
  // Decodes and delivers; parks what the budget or a missing reader leaves (from_parked: the
  // bytes are ch.parked's own, and what was delivered is consumed from it). False when the
  // loop stopped reading the channel (paused, detached, or closed).
  bool receive_stream(Channel &ch, const unsigned char *data, size_t size, bool ignore_budget,
                      bool from_parked = false);
  bool receive_packet(Channel &ch, const unsigned char *data, size_t size, const sockaddr *from, socklen_t len);
  void park(Channel &ch, const unsigned char *data, size_t size);
  void pause(Channel &ch);
  void resume(Channel &ch);
  bool below_low_water(Channel &ch);
  void half_close(Channel &ch);
  void release_delayed();
  Clock::time_point release_time(Channel &ch, const ReaderCore &reader);
  void touch(std::shared_ptr<void> owner, QueueSignal *signal);
  void report_reset(Channel &ch, const std::string &why);

  // Output and closing (loop_output.cpp).
  void mark_dirty(Channel &ch);
  void flush_dirty();
  bool write(Channel &ch);
  // Stops or resumes reading a stream as its queued output passes its high-water mark.
  void check_output_pressure(Channel &ch);
  bool take_pending(Channel &ch);
  bool pump(Channel &ch);
  bool send_packets(Channel &ch);  // loop_packets.cpp
  void wrote(Channel &ch, size_t bytes);
  // The socket is full: write() runs again when it is writable (on_writable).
  void wait_writable(Channel &ch);
  void stop_waiting_writable(Channel &ch);
  // Everything queued is written: stops waiting for writability; a closing channel closes
  // (false: it may be gone).
  bool drained(Channel &ch);
  // Adds what send() accepted since the last call to the loop's counters.
  void count_output(Channel &ch);
  // ... for every channel waiting for writability (sends to them mark nothing for writing).
  void count_blocked_output();
  // `bytes` of the connection's output were written to the kernel or discarded.
  void settle_output(Channel &ch, uint64_t bytes);
  // Discards the rest (core.output_lock held, so no send() adds to it meanwhile); returns its size.
  size_t settle_all_output(Channel &ch);
  void begin_close(Channel &ch, Clock::time_point deadline);
  // A closing channel's output is all with the kernel: closes it without losing any of it.
  void finish_close(Channel &ch);
  // A lingering channel: closed once the peer acknowledged everything, or at its deadline.
  void check_lingering(Channel &ch);
  // Drops output queued on a channel that can no longer send it, and says so.
  void discard_pending(Channel &ch);
  void detach(Channel &ch);
  // Closes the socket and forgets the channel. `reset` reports it through the manager.
  void destroy(Channel &ch, bool reset, const std::string &why);

  Engine &engine_;
  const uint32_t index_;
  std::unique_ptr<Backend> backend_;
  const bool threaded_;
  std::atomic<int64_t> &waiting_;  // the engine's waiting_datagrams (polled mode)
  // Polled mode: bytes sent since the loop last wrote its marked connections (written by any
  // sending thread, cleared by the loop).
  std::atomic<size_t> drain_held_{0};

  // Who turns the loop.
  std::mutex turn_mutex_;
  std::atomic<std::thread::id> owner_{};
  std::mutex turn_gate_;             // polled: guards the wait on turn_cv_ (the turn mutex is held)
  std::condition_variable turn_cv_;  // polled: a turn ended, or the loop stops
  std::atomic<int> turn_waiters_{0};
  std::atomic<uint64_t> turns_ended_{0};  // polled: counts leave()
  std::atomic<int64_t> last_turn_ns_{0};  // polled: when the last turn read the sockets
  std::thread worker_;
  std::promise<std::string> started_;  // the worker's backend is up ("") or why not
  // Polled: set at the end of every turn once a foreign event loop asked for it.
  std::mutex wake_timer_mutex_;
  std::unique_ptr<WakeTimer> wake_timer_owner_;  // under wake_timer_mutex_
  std::atomic<WakeTimer *> wake_timer_{nullptr};

  // Requests from other threads: connections to look at. Order does not matter (see sync).
  HandOffQueue<ConnectionRef> requests_;
  std::atomic<int64_t> num_requests_{0};  // requests queued and not yet drained: skips empty drains
  std::atomic<bool> sleeping_{false};  // blocked in the backend: a post must wake it
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> stop_deadline_ns_{0};

  // Loop thread only.
  ChannelTable channels_;
  std::atomic<size_t> num_channels_{0};
  std::vector<ConnectionRef> request_batch_;  // drain_requests' storage, reused
  std::vector<uint64_t> dirty_;
  std::vector<uint64_t> flushing_;
  std::vector<uint64_t> timed_;
  std::vector<uint64_t> blocked_;  // channels that waited for writability (some may no longer)
  size_t backing_off_ = 0;  // listeners out of descriptors, waiting to retry
  std::vector<Touched> touched_;
  DelayLine delayed_;
  std::vector<QueuedDatagram> batch_;  // Delivery's storage, reused
  mmsghdr mmsg_[kPacketBatch];         // send_packets' storage
  iovec iov_[kPacketBatch];
  std::minstd_rand rng_;
  LoopCounters counters_;
  bool closing_all_ = false;
  uint64_t activity_ = 0;  // socket events handled, for poll()'s result
  // Polled mode: the burst rule and the late writer, whose thread uses the members above (last,
  // so it is made after them; ~EventLoop stops it first).
  HeldOutput held_;
};

}  // namespace queuednet::detail
