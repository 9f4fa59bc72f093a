// Internal. EventLoop: requests from other threads, one turn, channels, timers, listeners.
// Its drivers (polled and worker) and shutdown are in loop_drivers.cpp, input in
// loop_input.cpp, output and closing in loop_output.cpp, UDP output in loop_packets.cpp.
#include "engine/event_loop.h"

#include <unistd.h>

#include <algorithm>

#include "engine/engine.h"
#include "engine/heap_trim.h"
#include "engine/steady_ns.h"
#include "log.h"

namespace queuednet::detail {
namespace {

constexpr size_t kRequestBatch = 64;
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

}  // namespace

EventLoop::EventLoop(Engine &engine, uint32_t index, std::unique_ptr<Backend> backend)
    : engine_(engine),
      index_(index),
      backend_(std::move(backend)),
      threaded_(backend_ == nullptr),
      waiting_(engine.waiting_datagrams()),
      request_batch_(kRequestBatch),
      batch_(kDeliveryBatch),
      rng_(static_cast<std::minstd_rand::result_type>(Clock::now().time_since_epoch().count() + index)),
      held_([this] { write_late(); }, num_requests_) {}

EventLoop::~EventLoop() {
  held_.stop();  // it turns the loop
  join();
  // The kernel may still hold output buffers (completion backends): tear the backend down
  // first, then free the channels.
  backend_.reset();
  channels_.for_each([](Channel &ch) {
    if (!ch.dead && ch.fd >= 0) {
      {
        std::lock_guard lock(ch.conn->output_lock);
        ch.conn->fd.store(-1);
      }
      ::close(ch.fd);
    }
  });
}

// --- requests from any thread -----------------------------------------------------------------

void EventLoop::sync(const ConnectionRef &c) {
  if (in_loop()) {  // from a callback on the loop's own thread
    enqueue(c);
    return;
  }
  if (!threaded_ && try_enter()) {
    drain_requests();
    apply(*c);
    backend_->submit(*this);
    leave();
    return;
  }
  post(c);
}

void EventLoop::write_rule(ConnectionCore &core, bool need_sync) {
  if (threaded_) {
    if (need_sync) enqueue(core.ref());
    // The application has taken every datagram of this connection: this is (likely) its last
    // answer for now, so the worker should write it. Otherwise more answers are coming.
    if (core.input.outstanding() == 0) wake_worker();
    return;
  }
  // Polled mode. Mid-drain, a connection already marked has nothing to do here.
  const int64_t waiting_datagrams = waiting_.load(std::memory_order_relaxed);
  const size_t queued = core.queued_bytes();
  const size_t held = drain_held_.load(std::memory_order_relaxed);
  if (write_waits_for_drain(need_sync, waiting_datagrams, queued, held)) return;
  const bool waiting = waiting_datagrams > 0;
  const bool eager = queued >= kEagerFlushBytes;
  // A stream marked since the loop last wrote: its output waits for the end of a drain (or is a
  // burst's). One marked before (a full socket, a send in flight) is not waiting for a write.
  const bool joins = !need_sync && core.kind == ChannelKind::stream && queued < kJoinBytes &&
                     core.marked_epoch.load(std::memory_order_relaxed) == write_epoch();
  // The burst rule's clock; a send held because it joins needs none (if its hold fails, no
  // burst starts).
  const int64_t now = waiting || (joins && !eager) ? 0 : steady_now_ns();
  if (!waiting && !eager && (joins || held_.in_burst(now))) {
    // A send that joins output waiting for the loop's next write, or a later send of a burst
    // (held_output.h): marked now, written by the application's next call, or by the late
    // writer. Marked before the hold, so the late writer sees it.
    if (need_sync) enqueue(core.ref());
    if (held_.hold()) return;
    // No late writer: written below, through the request just queued (or by the thread
    // turning the loop, woken if it sleeps in a wait).
    if (need_sync) wake_worker();
    need_sync = false;
  }
  if (!try_enter()) {  // another thread turns the loop: it writes at the end of its turn
    if (need_sync) post(core.ref());
    return;
  }
  drain_requests();
  if (need_sync) apply(core);
  Channel *ch = find(core);
  // No sync asked for: a write in flight or a full socket may keep the loop from taking
  // `pending` for a while, so it counts the send here.
  if (ch != nullptr && !need_sync) count_output(*ch);
  if (!waiting || drain_holds_enough(held)) {
    flush_dirty();
    backend_->submit(*this);
    if (!waiting) held_.wrote_at_once(now);
  } else if (ch != nullptr && eager) {
    write(*ch);
    backend_->submit(*this);
  }
  leave();
}

void EventLoop::flush(const ConnectionRef &c) {
  if (threaded_) {
    post(c);
    return;
  }
  if (!try_enter()) {
    post(c);
    return;
  }
  drain_requests();
  apply(*c);
  if (Channel *ch = find(*c)) write(*ch);
  backend_->submit(*this);
  leave();
}

void EventLoop::application_idle() {
  if (threaded_) {
    if (num_requests_.load(std::memory_order_relaxed) > 0) wake_worker();
    return;
  }
  if (try_enter()) write_marked_and_leave();  // else the thread turning the loop writes at its turn's end
}

void EventLoop::write_late() {
  if (try_enter_once()) {
    write_marked_and_leave();
  } else {
    wake_worker();  // a thread asleep in a turn writes when its wait ends
  }
}

void EventLoop::write_marked_and_leave() {
  drain_requests();
  flush_dirty();
  backend_->submit(*this);
  leave();
}

void EventLoop::enqueue(ConnectionRef c) {
  requests_.enqueue(std::move(c));
  num_requests_.fetch_add(1, std::memory_order_release);
}

void EventLoop::post(ConnectionRef c) {
  enqueue(std::move(c));
  wake_worker();
}

void EventLoop::wake_worker() {
  // Pairs with the fence in turn(): either the loop sees the request before it blocks, or
  // this sees it blocked. The exchange makes one waker per sleep.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_relaxed) && sleeping_.exchange(false)) {
    backend_->wake();
  } else if (!threaded_ && wake_timer_.load(std::memory_order_acquire) != nullptr) {
    // Polled, watched by a foreign event loop: the request may come after the turn's end
    // looked, and the wake-up makes the backend's descriptor readable.
    backend_->wake();
  }
}

void EventLoop::drain_requests() {
  if (num_requests_.load(std::memory_order_acquire) == 0) return;
  size_t n;
  while ((n = requests_.try_dequeue_bulk(request_batch_.data(), request_batch_.size())) > 0) {
    num_requests_.fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) {
      apply(*request_batch_[i]);
      request_batch_[i].reset();
    }
  }
}

// --- turning the loop -----------------------------------------------------------------------

void EventLoop::turn(int timeout_ms) {
  drain_requests();
  flush_dirty();  // every accepted byte reaches the kernel before the loop waits
  // What the requests delivered (a resumed connection's parked input) is announced before the
  // loop sleeps, which may be for good.
  if (!touched_.empty()) notify_touched();
  int timeout = next_timeout(timeout_ms);
  if (timeout != 0) {
    sleeping_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with wake_worker()
    if (num_requests_.load(std::memory_order_relaxed) > 0 || stopping_.load(std::memory_order_relaxed)) timeout = 0;
  }
  backend_->wait(timeout, *this);
  sleeping_.store(false, std::memory_order_relaxed);
  if (!threaded_) last_turn_ns_.store(steady_now_ns(), std::memory_order_relaxed);
  count(counters_.turns);
  drain_requests();
  flush_dirty();
  run_timers();
  if (!blocked_.empty()) count_blocked_output();
  if (!threaded_) backend_->submit(*this);  // a polled loop may not turn again for a while
  notify_touched();
  HeapTrim::global().after_turn();
}

Clock::time_point EventLoop::next_deadline() {
  auto earliest = Clock::time_point::max();
  if (!delayed_.empty()) earliest = delayed_.next_release();
  for (uint64_t id : timed_) {
    if (Channel *ch = find(id)) earliest = std::min(earliest, ch->deadline);
  }
  return earliest;
}

int EventLoop::next_timeout(int requested) {
  if (timed_.empty() && delayed_.empty()) return requested;
  const auto earliest = next_deadline();
  if (earliest == Clock::time_point::max()) return requested;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(earliest - Clock::now()).count();
  const int due = left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 60000));
  return requested < 0 ? due : std::min(requested, due);
}

// --- channels and requests ----------------------------------------------------------------

Channel *EventLoop::channel_for(ConnectionCore &core) {
  if (core.channel.id != 0) return find(core);  // made before: live, or closed
  const int fd = core.fd.load();
  if (fd < 0) return nullptr;  // closed
  Channel &ch = channels_.create(core.ref());
  ch.fd = fd;
  ch.kind = core.kind;
  backend_->add(ch.id, fd, ch.kind);
  num_channels_.fetch_add(1);
  return &ch;
}

void EventLoop::apply(ConnectionCore &core) {
  Channel *ch = channel_for(core);
  if (ch == nullptr) return;
  bool kill, has_output;
  {
    std::lock_guard lock(core.output_lock);
    kill = core.kill_requested;
    has_output = core.output_queued();
  }
  if (kill) {
    destroy(*ch, true, "slow consumer: output passed the hard limit of its writer");
    return;
  }
  if ((core.close_requested.load() || closing_all_) && !ch->closing) {
    begin_close(*ch, closing_all_ ? Clock::time_point(Clock::duration(stop_deadline_ns_.load()))
                                  : Clock::now() + engine_.close_timeout());
    return;
  }
  if (has_output) mark_dirty(*ch);
  // Parked input waits while the connection's output is held back too.
  if (ch->kind == ChannelKind::stream) check_output_pressure(*ch);
  if (ch->paused && !ch->output_paused &&
      (!core.input.paused.load() || (below_low_water(*ch) && core.input.paused.exchange(false)))) {
    resume(*ch);
    if ((ch = find(core)) == nullptr) return;
  }
  update_reading(*ch);
}

void EventLoop::update_reading(Channel &ch) {
  if (ch.dead || ch.closing) return;  // a closing stream reads to discard (begin_close)
  bool want = false;
  if (!ch.closing && !ch.input_closed) {
    std::lock_guard lock(ch.conn->member_lock);
    want = ch.kind == ChannelKind::listener ? ch.conn->listener != nullptr : ch.conn->reader != nullptr;
  }
  if (want && !ch.parked.empty() && !ch.paused && !ch.output_paused) {
    const uint64_t id = ch.id;
    resume(ch);  // deliver what waited for a reader first
    if (find(id) == nullptr) return;  // closed (an oversize frame): `ch` is gone
  }
  set_reading(ch, want && !ch.paused && !ch.output_paused && !ch.backing_off && !ch.fin_pending);
}

void EventLoop::set_reading(Channel &ch, bool on) {
  if (ch.reading == on) return;
  ch.reading = on;
  backend_->set_reading(ch.id, on);
}

void EventLoop::add_timer(Channel &ch, Clock::time_point deadline) {
  ch.deadline = deadline;
  if (!ch.timed) {
    ch.timed = true;
    timed_.push_back(ch.id);
  }
}

void EventLoop::run_timers() {
  if (!delayed_.empty()) release_delayed();
  if (timed_.empty()) return;
  const auto now = Clock::now();
  std::vector<uint64_t> due;
  std::erase_if(timed_, [&](uint64_t id) {
    Channel *ch = find(id);
    if (ch == nullptr) return true;
    if (ch->deadline > now) return false;
    ch->timed = false;
    due.push_back(id);
    return true;
  });
  for (uint64_t id : due) {
    Channel *ch = find(id);
    if (ch == nullptr) continue;
    if (ch->lingering) {
      check_lingering(*ch);
    } else if (ch->closing) {
      log(LogLevel::warning, "close timeout: discarding " + std::to_string(ch->conn->queued_bytes()) +
                                 " unsent byte(s) to " + ch->conn->address.to_string());
      destroy(*ch, false, "");
    } else if (ch->backing_off) {
      ch->backing_off = false;
      --backing_off_;
      update_reading(*ch);
    } else if (ch->output_paused) {
      // Held at its high-water mark: a peer that takes nothing for the close timeout is a
      // slow consumer.
      if (now - ch->output_progress >= engine_.close_timeout()) {
        log(LogLevel::warning, "closing " + ch->conn->address.to_string() + " as a slow consumer: " +
                                   std::to_string(ch->conn->queued_bytes()) + " byte(s) unread, none taken for " +
                                   std::to_string(engine_.close_timeout().count()) + " ms");
        destroy(*ch, true, "slow consumer: it took none of its output for the close timeout");
      } else {
        add_timer(*ch, ch->output_progress + engine_.close_timeout());
      }
    } else if (ch->input_closed) {
      // Half-closed: close once idle (nothing to write, every datagram taken).
      bool idle;
      {
        std::lock_guard lock(ch->conn->output_lock);
        idle = !ch->conn->output_queued();
      }
      idle = idle && ch->out_off == ch->out.size() && !ch->send_pending && ch->conn->input.outstanding() == 0;
      if (idle) {
        destroy(*ch, false, "");
      } else {
        add_timer(*ch, now + engine_.close_timeout());
      }
    }
  }
}

void EventLoop::notify_touched() {
  for (Touched &t : touched_) t.signal->notify_waiters();
  touched_.clear();
}

// --- listeners ------------------------------------------------------------------------------

void EventLoop::on_accept_refused(uint64_t id, int error) {
  Channel *ch = find(id);
  if (ch == nullptr) return;
  ++activity_;
  set_reading(*ch, false);
  std::shared_ptr<ListenerCore> listener;
  {
    std::lock_guard lock(ch->conn->member_lock);
    listener = ch->conn->listener;
  }
  count(counters_.accept_refusals);
  if (listener && listener->accept_refusals.fetch_add(1) == 0) {
    log(LogLevel::warning, "listener on " + ch->conn->address.to_string() + " cannot accept: " +
                               std::strerror(error) + "; backing off, pending connections stay queued (counted)");
  }
  if (!ch->backing_off) ++backing_off_;
  ch->backing_off = true;
  add_timer(*ch, Clock::now() + kAcceptBackoff);
}

}  // namespace queuednet::detail
