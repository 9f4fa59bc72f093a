// Internal. EventLoop output: writing marked channels (one system call or SQE per channel),
// graceful close and destruction. UDP packets are sent in loop_packets.cpp.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/engine.h"
#include "engine/event_loop.h"
#include "engine/socket_ops.h"
#include "log.h"

namespace queuednet::detail {

void EventLoop::mark_dirty(Channel &ch) {
  if (ch.dirty || ch.dead) return;
  ch.dirty = true;
  dirty_.push_back(ch.id);
}

void EventLoop::flush_dirty() {
  drain_held_.store(0, std::memory_order_relaxed);
  held_.written();
  if (dirty_.empty()) return;
  flushing_.swap(dirty_);
  for (uint64_t id : flushing_) {
    if (Channel *ch = find(id)) {
      ch->dirty = false;
      write(*ch);
    }
  }
  flushing_.clear();
}

bool EventLoop::write(Channel &ch) {
  count_output(ch);  // the loop sees what is queued even while the socket is full
  if (ch.kind == ChannelKind::datagram) return send_packets(ch);
  if (!pump(ch)) return false;
  check_output_pressure(ch);  // on what the kernel did not take
  return true;
}

// A peer that does not read what the application sends it is not read either: past the
// writer's high-water mark the loop stops reading the stream, and reads it again once half of
// that has gone out. TCP then pushes back on a peer that sends requests without reading the
// replies, as a plain epoll server does when it cannot write, and its replies cost at most the
// mark (plus what one read produces), not the slow-consumer limit. One whose output then makes
// no progress for the close timeout is closed as a slow consumer (run_timers).
void EventLoop::check_output_pressure(Channel &ch) {
  if (ch.closing) return;
  const size_t queued = ch.conn->queued_bytes();
  const size_t mark = ch.conn->output_high_water.load(std::memory_order_relaxed);
  if (!ch.output_paused && output_pressure_begins(queued, mark)) {
    ch.output_paused = true;
    ch.output_progress = Clock::now();
    add_timer(ch, ch.output_progress + engine_.close_timeout());
    update_reading(ch);  // only turns reading off
  } else if (ch.output_paused && output_pressure_ends(queued, mark)) {
    ch.output_paused = false;
    enqueue(ch.conn);  // apply() turns reading on (and delivers what is parked) at the next drain
  }
}

void EventLoop::count_output(Channel &ch) {
  const uint64_t datagrams = ch.conn->datagrams_out.load(std::memory_order_relaxed);
  const uint64_t bytes = ch.conn->bytes_out.load(std::memory_order_relaxed);
  count(counters_.datagrams_out, datagrams - ch.datagrams_out_counted);
  count(counters_.bytes_out, bytes - ch.bytes_out_counted);
  ch.datagrams_out_counted = datagrams;
  ch.bytes_out_counted = bytes;
}

void EventLoop::count_blocked_output() {
  std::erase_if(blocked_, [&](uint64_t id) {
    Channel *ch = find(id);
    if (ch == nullptr) return true;
    if (!ch->wants_write) {
      ch->on_blocked_list = false;
      return true;
    }
    count_output(*ch);
    // Sends to a connection waiting for writability mark nothing for writing: its output is
    // looked at here, once per turn.
    if (ch->kind == ChannelKind::stream) check_output_pressure(*ch);
    return false;
  });
}

void EventLoop::settle_output(Channel &ch, uint64_t bytes) {
  count(ch.conn->bytes_settled, bytes);
  count(counters_.bytes_settled, bytes);
}

size_t EventLoop::settle_all_output(Channel &ch) {
  count_output(ch);
  const size_t left = static_cast<size_t>(ch.bytes_out_counted - ch.conn->bytes_settled.load(std::memory_order_relaxed));
  settle_output(ch, left);
  return left;
}

bool EventLoop::take_pending(Channel &ch) {
  std::lock_guard lock(ch.conn->output_lock);
  ch.conn->sync_queued = false;
  count_output(ch);
  ConnectionCore &core = *ch.conn;
  // collect-tcp bytes held for a flush stay in `pending`, unless the connection is closing.
  const size_t ready = core.output_ready(ch.closing);
  if (ready == 0) {
    // Everything sent is written: a quiet connection keeps no output storage. The next send
    // allocates what this write needed (pending_hint); pump() frees `out`.
    if (core.pending.empty()) {
      core.pending.release();
      // Only a write that held something says what the next one needs (a flush() or a close
      // of a drained connection finds `out` already freed).
      if (ch.out.capacity() > 0) {
        core.pending_hint = static_cast<uint32_t>(std::min(ch.out.capacity(), ByteBuffer::kKeepCapacity));
      }
    }
    return false;
  }
  ch.out.clear();
  ch.out_off = 0;
  if (ready == core.pending.size()) {
    // Swap, not copy: the writers get this channel's emptied buffer (and its capacity) back.
    ch.out.swap(core.pending);
    core.collect_released();
  } else {
    core.pending.take_front(ready, ch.out);
  }
  return true;
}

bool EventLoop::pump(Channel &ch) {
  if (ch.lingering) {
    discard_pending(ch);  // accepted while the manager shut down, after the FIN: cannot go out
    return false;
  }
  for (;;) {
    if (ch.send_pending) return true;  // on_send_complete goes on
    if (ch.out_off == ch.out.size() && !take_pending(ch)) break;
    count(counters_.writes);
    const ssize_t r = backend_->send(ch.id, ch.fd, ch.out.data() + ch.out_off, ch.out.size() - ch.out_off);
    if (r == kSendPending) {
      ch.send_pending = true;
      return true;
    }
    if (r == -EAGAIN || r == -EWOULDBLOCK) {
      wait_writable(ch);
      return true;
    }
    if (r < 0) {
      destroy(ch, true, std::string("send failed: ") + std::strerror(static_cast<int>(-r)));
      return false;
    }
    wrote(ch, static_cast<size_t>(r));
  }
  ch.out.release();
  ch.out_off = 0;
  return drained(ch);
}

void EventLoop::wrote(Channel &ch, size_t bytes) {
  if (ch.kind != ChannelKind::datagram) ch.out_off += bytes;
  settle_output(ch, bytes);
  if (ch.output_paused) {
    ch.output_progress = Clock::now();
    check_output_pressure(ch);
  }
  if (ch.input_closed && !ch.closing) add_timer(ch, Clock::now() + engine_.close_timeout());  // not idle
}

void EventLoop::on_writable(uint64_t id) {
  Channel *ch = find(id);
  // epoll reports writability with every readable event; only a blocked write cares.
  if (ch == nullptr || !ch->wants_write) return;
  stop_waiting_writable(*ch);  // io_uring's poll is one-shot: a write still blocked must ask again
  write(*ch);
}

void EventLoop::wait_writable(Channel &ch) {
  if (ch.wants_write) return;  // already asked (io_uring: a poll is in flight)
  ch.wants_write = true;
  if (!ch.on_blocked_list) {
    ch.on_blocked_list = true;
    blocked_.push_back(ch.id);
  }
  backend_->want_writable(ch.id, true);
}

void EventLoop::stop_waiting_writable(Channel &ch) {
  if (!ch.wants_write) return;
  ch.wants_write = false;
  backend_->want_writable(ch.id, false);
}

bool EventLoop::drained(Channel &ch) {
  stop_waiting_writable(ch);
  if (!ch.closing) return true;
  finish_close(ch);
  return false;
}

void EventLoop::discard_pending(Channel &ch) {
  size_t bytes;
  ByteBuffer dropped;  // its storage goes after the lock
  {
    std::lock_guard lock(ch.conn->output_lock);
    dropped.swap(ch.conn->pending);
    ch.conn->collect_released();
    bytes = settle_all_output(ch);
  }
  if (bytes == 0) return;
  log(LogLevel::warning, "discarding " + std::to_string(bytes) + " byte(s) sent to " + ch.conn->address.to_string() +
                             " after its connection was closed");
}

void EventLoop::on_send_complete(uint64_t id, ssize_t result) {
  Channel *ch = channels_.get(id);
  if (ch == nullptr) return;
  ch->send_pending = false;
  if (ch->dead) {
    channels_.erase(id);  // the kernel no longer reads its buffer
    return;
  }
  if (result == -EAGAIN || result == -EWOULDBLOCK) {
    wait_writable(*ch);  // on_writable resumes the pump
    return;
  }
  if (result < 0) {
    destroy(*ch, true, std::string("send failed: ") + std::strerror(static_cast<int>(-result)));
    return;
  }
  wrote(*ch, static_cast<size_t>(result));
  pump(*ch);
}

void EventLoop::detach(Channel &ch) {
  std::shared_ptr<ReaderCore> reader;
  std::shared_ptr<ListenerCore> listener;
  {
    std::lock_guard lock(ch.conn->member_lock);
    reader = std::move(ch.conn->reader);
    listener = std::move(ch.conn->listener);
  }
  if (reader) reader->members.remove(ch.conn.get());
  if (listener) listener->members.remove(ch.conn.get());
  ch.conn->attached.store(false);
}

// close() on a socket whose peer sent bytes nobody read makes the kernel reset the connection
// and discard whatever output it has not sent yet: a peer that keeps talking would lose the
// last replies. So a closing stream keeps reading, and throws its input away, from here on.
void EventLoop::begin_close(Channel &ch, Clock::time_point deadline) {
  detach(ch);  // nothing more reaches a reader or listener
  ch.parked.clear();
  ch.closing = true;
  ch.close_deadline = deadline;
  set_reading(ch, ch.kind == ChannelKind::stream && !ch.input_closed);
  add_timer(ch, deadline);
  write(ch);  // closes the channel once its output is written
}

// The output is all with the kernel. If the peer has acknowledged all of it and nothing waits
// unread, the socket closes at once. Otherwise the FIN goes out behind the output and the
// peer's input is discarded until it has acknowledged every byte (or hung up, or the close
// deadline passes): a close() now would let a peer that is still talking provoke a reset
// that throws away the replies the kernel has not sent yet.
void EventLoop::finish_close(Channel &ch) {
  if (ch.lingering) return;
  if (ch.kind != ChannelKind::stream || ch.input_closed ||
      (unacknowledged_bytes(ch.fd) == 0 && unread_bytes(ch.fd) == 0) || ::shutdown(ch.fd, SHUT_WR) != 0) {
    destroy(ch, false, "");
    return;
  }
  ch.lingering = true;
  ch.rechecks = 0;
  check_lingering(ch);
}

void EventLoop::check_lingering(Channel &ch) {
  // The waits for the acknowledgement double from 1 ms up to 200 ms.
  constexpr int kMostDoublings = 8;
  constexpr auto kMostRecheck = std::chrono::milliseconds(200);
  static_assert(std::chrono::milliseconds(1 << kMostDoublings) >= kMostRecheck, "the doublings reach the cap");
  if (unacknowledged_bytes(ch.fd) == 0) {
    discard_input(ch.fd);  // what arrived since the last read would make close() reset
    destroy(ch, false, "");
    return;
  }
  const auto now = Clock::now();
  if (now >= ch.close_deadline) {
    log(LogLevel::info, "close timeout: " + ch.conn->address.to_string() + " did not acknowledge " +
                            std::to_string(unacknowledged_bytes(ch.fd)) + " byte(s); closed anyway");
    destroy(ch, false, "");
    return;
  }
  const Clock::duration wait = std::min<Clock::duration>(std::chrono::milliseconds(int64_t{1} << ch.rechecks), kMostRecheck);
  add_timer(ch, std::min(now + wait, ch.close_deadline));
  if (ch.rechecks < kMostDoublings) ++ch.rechecks;
}

void EventLoop::destroy(Channel &ch, bool reset, const std::string &why) {
  if (ch.dead) return;
  if (ch.backing_off) {  // a listener closed while it waited to retry
    ch.backing_off = false;
    --backing_off_;
  }
  backend_->remove(ch.id, ch.fd);
  ConnectionCore &core = *ch.conn;
  ByteBuffer dropped;  // the discarded output's storage goes after the lock
  PacketQueue dropped_packets;
  {
    std::lock_guard lock(core.output_lock);
    core.fd.store(-1);  // under the lock: a setsockopt that took it finished first
    dropped.swap(core.pending);
    core.collect_released();
    if (core.udp) std::swap(dropped_packets, core.udp->queued);
    settle_all_output(ch);  // what was still queued is discarded
  }
  ::close(ch.fd);  // outside the lock: with SO_LINGER it may block
  // Reported with the socket closed, behind every datagram this loop delivered.
  if (reset) report_reset(ch, why);
  engine_.unregister(ch.conn.get());
  detach(ch);
  if (ch.decoder.buffered() > 0) {
    log(LogLevel::info, "peer " + core.address.to_string() + " vanished mid-frame: " +
                            std::to_string(ch.decoder.buffered()) + " byte(s) of an incomplete datagram discarded");
  }
  num_channels_.fetch_sub(1);
  if (ch.send_pending) {
    ch.dead = true;  // the kernel still reads ch.out; erased in on_send_complete
  } else {
    channels_.erase(ch.id);  // the record, `ch` with it, may be gone from here on
  }
  // A descriptor is free again: listeners waiting for one retry at once.
  if (backing_off_ > 0) {
    for (uint64_t id : timed_) {
      if (Channel *l = find(id); l != nullptr && l->backing_off) l->deadline = Clock::now();
    }
  }
}

}  // namespace queuednet::detail
