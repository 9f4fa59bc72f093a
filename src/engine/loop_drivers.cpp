// Internal. The two drivers of an EventLoop and the shutdown they share.
//  - Polled: an application thread takes the turn (try_enter), turns once, and leaves; the
//    others return at once or wait for the turn to end (wait_for_turn).
//  - Worker: run() is the worker thread's body; stop() asks it to end and join() waits.
//  - Shutdown, either way: close_all() starts closing every connection (what was accepted is
//    written first), turns continue until they are gone or the deadline passes, then
//    close_remaining() closes what is left and lets the kernel finish what was cancelled.
#include <string>
#include <thread>
#include <vector>

#include "engine/event_loop.h"

namespace queuednet::detail {

// The most non-blocking waits shutdown makes to take what the backend still holds.
constexpr int kShutdownWaits = 64;

bool EventLoop::in_loop() const { return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id(); }

bool EventLoop::try_enter() {
  if (in_loop()) return false;
  // The late writer's turn is short and waits for nothing: the caller waits it out, so that
  // an application with one thread never finds the turn taken.
  while (!try_enter_once()) {
    if (!held_.writing()) return try_enter_once();  // it may have left just now
    std::this_thread::yield();
  }
  return true;
}

bool EventLoop::try_enter_once() {
  if (!turn_mutex_.try_lock()) return false;
  owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  return true;
}

void EventLoop::leave() {
  notify_touched();
  if (WakeTimer *timer = wake_timer_.load(std::memory_order_acquire)) {
    const bool work_now = backend_->has_buffered_work() || num_requests_.load(std::memory_order_acquire) > 0;
    timer->set(work_now ? WakeTimer::kNow : next_deadline());
  }
  owner_.store({}, std::memory_order_relaxed);
  turns_ended_.fetch_add(1, std::memory_order_seq_cst);  // pairs with wait_for_turn: one sees the other
  turn_mutex_.unlock();
  if (turn_waiters_.load(std::memory_order_seq_cst) > 0) notify_turn_waiters();
}

void EventLoop::notify_turn_waiters() {
  { std::lock_guard gate(turn_gate_); }  // a waiter is either before its check or asleep
  turn_cv_.notify_all();
}

int EventLoop::poll(int timeout_ms) {
  // A watched loop turns anyway: the turn's end clears its wake timer.
  if (timeout_ms == 0 && num_channels_.load(std::memory_order_relaxed) == 0 &&
      num_requests_.load(std::memory_order_relaxed) == 0 && wake_timer_.load(std::memory_order_relaxed) == nullptr) {
    return 0;
  }
  if (!try_enter()) return -1;
  const uint64_t before = activity_;
  turn(timeout_ms);
  const int handled = static_cast<int>(activity_ - before);
  leave();
  return handled;
}

void EventLoop::wait_for_turn(std::chrono::nanoseconds timeout) {
  const uint64_t seen = turns_ended_.load(std::memory_order_seq_cst);
  turn_waiters_.fetch_add(1, std::memory_order_seq_cst);
  // The turn mutex is held by the thread turning the loop, so the wait is guarded by a gate
  // that leave() and the stop take before they notify. Any turn that ends wakes the waiter,
  // even if another one has begun since: what it delivered may be for this waiter.
  {
    std::unique_lock gate(turn_gate_);
    turn_cv_.wait_for(gate, timeout, [&] {
      return turns_ended_.load(std::memory_order_seq_cst) != seen ||
             owner_.load(std::memory_order_relaxed) == std::thread::id{} || stopping_.load(std::memory_order_seq_cst);
    });
  }
  turn_waiters_.fetch_sub(1, std::memory_order_relaxed);
}

int EventLoop::wake_timer_fd(std::error_code *error) {
  std::lock_guard lock(wake_timer_mutex_);
  if (!wake_timer_owner_) {
    auto timer = std::make_unique<WakeTimer>();
    if (!timer->open(error)) return -1;
    wake_timer_owner_ = std::move(timer);
    wake_timer_.store(wake_timer_owner_.get(), std::memory_order_release);
  }
  return wake_timer_owner_->fd();
}

bool EventLoop::start_worker(BackendId kind, std::string *error) {
  auto result = started_.get_future();
  worker_ = std::thread([this, kind] { run(kind); });
  *error = result.get();
  if (error->empty()) return true;
  worker_.join();
  return false;
}

void EventLoop::run(BackendId kind) {
  std::string error;
  backend_ = make_backend(kind, BackendOptions{true}, &error);
  if (!backend_) {
    started_.set_value(error.empty() ? "backend failed to start" : error);
    return;
  }
  owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  started_.set_value("");
  for (;;) {
    if (stopping_.load(std::memory_order_acquire)) {
      const auto deadline = Clock::time_point(Clock::duration(stop_deadline_ns_.load()));
      if (!closing_all_) close_all(deadline);
      if (num_channels_.load() == 0 || Clock::now() >= deadline) break;
    }
    turn(-1);
  }
  close_remaining();
  owner_.store({}, std::memory_order_relaxed);
}

void EventLoop::stop(std::chrono::milliseconds timeout) {
  stop_deadline_ns_.store((Clock::now() + timeout).time_since_epoch().count());
  stopping_.store(true, std::memory_order_release);
  if (backend_) backend_->wake();
}

void EventLoop::join() {
  if (worker_.joinable()) worker_.join();
}

void EventLoop::drain_and_close(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  held_.stop();  // what it would write, the shutdown writes
  stopping_.store(true, std::memory_order_seq_cst);
  backend_->wake();       // a thread blocked in a turn returns, and sees the engine shut down
  notify_turn_waiters();  // so does one waiting for the turn
  std::lock_guard lock(turn_mutex_);
  owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  close_all(deadline);
  while (num_channels_.load() > 0 && Clock::now() < deadline) turn(10);
  close_remaining();
  // Take the wake-ups shutdown sent: the backend's descriptor is in every readiness set, and
  // no turn follows to read them. One wait handles a bounded batch; what is left (an accepted
  // socket's completion, to close) is taken too.
  for (int round = 0; round < kShutdownWaits; ++round) {
    backend_->wait(0, *this);
    if (!backend_->has_buffered_work()) break;
  }
  notify_touched();
  if (WakeTimer *timer = wake_timer_.load(std::memory_order_acquire)) timer->set(WakeTimer::kNever);
  owner_.store({}, std::memory_order_relaxed);
}

void EventLoop::close_remaining() {
  std::vector<Channel *> left;
  channels_.for_each([&](Channel &ch) {
    if (!ch.dead) left.push_back(&ch);
  });
  for (Channel *ch : left) destroy(*ch, false, "");
  backend_->quiesce(*this);
  notify_touched();
}

void EventLoop::close_all(Clock::time_point deadline) {
  closing_all_ = true;
  drain_requests();  // sends accepted before the stop still go out
  std::vector<Channel *> all;
  channels_.for_each([&](Channel &ch) {
    if (!ch.closing && !ch.dead) all.push_back(&ch);
  });
  for (Channel *ch : all) begin_close(*ch, deadline);
}

}  // namespace queuednet::detail
