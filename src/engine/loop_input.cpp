// Internal. EventLoop input: accepted connections, stream bytes and UDP packets turned into
// datagrams for readers, the input budget, the peer's FIN, fault injection.
//
// Delivery holds the connection's member_lock while it pushes, so a reader that
// remove_connection() detached gets nothing more. Datagrams are counted as delivered in the
// connection's InputAccount before they are pushed; past the reader's budget the loop parks
// the bytes it already read and stops reading the connection until the application catches up.
#include <unistd.h>

#include <cstring>

#include "engine/engine.h"
#include "engine/event_loop.h"
#include "engine/socket_ops.h"
#include "framing/frame_encoder.h"
#include "log.h"

namespace queuednet::detail {

// Datagrams for one reader, pushed to its queue (or the delay line) in batches.
class EventLoop::Delivery {
 public:
  Delivery(EventLoop &loop, Channel &ch, const std::shared_ptr<ReaderCore> &reader)
      : loop_(loop), ch_(ch), reader_(reader) {}
  Delivery(const Delivery &) = delete;
  Delivery &operator=(const Delivery &) = delete;
  ~Delivery() { push(); }

  [[gnu::always_inline]] void add(const unsigned char *data, size_t size, const sockaddr *from = nullptr,
                                  socklen_t from_len = 0) {
    QueuedDatagram &q = loop_.batch_[n_++];
    q.connection = ch_.conn;
    q.set(data, size, from, from_len);
    added(size);
  }
  // A stream datagram the decoder assembled in `held` (tcp_frame_decoder.h): a large payload
  // is taken, not copied.
  void add_held(std::vector<unsigned char> &held) {
    QueuedDatagram &q = loop_.batch_[n_++];
    q.connection = ch_.conn;
    const size_t size = held.size();
    q.set_held(held);
    added(size);
  }

 private:
  void added(size_t size) {
    ch_.delivered += InputAccount::unit(size);
    bytes_ += size;
    if (n_ == kDeliveryBatch) push();
  }

  void push() {
    if (n_ == 0) return;
    ConnectionCore &core = *ch_.conn;
    // Counted before a consumer can take them, so `outstanding` never goes below zero.
    core.input.delivered.store(ch_.delivered, std::memory_order_release);
    ReaderCore &reader = *reader_;
    QueuedDatagram *batch = loop_.batch_.data();
    size_t pushed = n_;
    if (reader.delaying()) {
      for (size_t i = 0; i < n_; ++i) {
        loop_.delayed_.hold({loop_.release_time(ch_, reader), 0, reader_, std::move(batch[i]), {}});
      }
    } else {
      pushed = reader.queue.push(loop_.index_, batch, n_);
      if (pushed < n_) {
        if (reader.queue.dropped() == n_ - pushed) {
          log(LogLevel::error, "QueuedConnectionReader queue full! newest datagrams are dropped (overflow flag set)");
        }
        uint64_t never_taken = 0;
        for (size_t i = pushed; i < n_; ++i) {
          never_taken += InputAccount::unit(batch[i].size);
          batch[i].connection.reset();
        }
        core.input.consumed.fetch_add(never_taken, std::memory_order_acq_rel);
        count(core.datagrams_dropped, n_ - pushed);
        count(loop_.counters_.queue_drops, n_ - pushed);
      }
      if (pushed > 0) {
        if (!loop_.threaded_) loop_.waiting_.fetch_add(static_cast<int64_t>(pushed));
        loop_.touch(reader_, &reader.queue);
      }
    }
    reader.datagrams_received.fetch_add(pushed, std::memory_order_relaxed);
    reader.bytes_received.fetch_add(bytes_, std::memory_order_relaxed);
    count(core.datagrams_in, pushed);
    count(core.bytes_in, bytes_);
    count(loop_.counters_.datagrams_in, pushed);
    count(loop_.counters_.bytes_in, bytes_);
    n_ = 0;
    bytes_ = 0;
  }

  EventLoop &loop_;
  Channel &ch_;
  const std::shared_ptr<ReaderCore> &reader_;
  size_t n_ = 0;
  uint64_t bytes_ = 0;
};

// The reader's input budget against what the application had consumed when a receive began.
struct EventLoop::InputLimit {
  InputLimit(const ReaderCore &reader, uint64_t consumed_)
      : consumed(consumed_),
        datagrams(reader.budget_datagrams.load(std::memory_order_relaxed)),
        bytes(reader.budget_bytes.load(std::memory_order_relaxed)) {}
  // Whether `delivered` (the loop's side of the InputAccount) has used up the budget.
  bool reached(uint64_t delivered) const {
    const uint64_t out = delivered - consumed;
    return InputAccount::datagrams(out) >= datagrams || InputAccount::bytes(out) >= bytes;
  }
  uint64_t consumed, datagrams, bytes;
};

bool EventLoop::on_data(uint64_t id, const unsigned char *data, size_t size, const sockaddr *from,
                        socklen_t from_len) {
  Channel *ch = find(id);
  if (ch != nullptr && ch->closing && ch->kind == ChannelKind::stream) return true;  // discarded (begin_close)
  if (ch == nullptr || ch->closing || ch->input_closed) return false;
  ++activity_;
  if (ch->kind == ChannelKind::datagram) return receive_packet(*ch, data, size, from, from_len);
  if (!ch->output_paused) check_output_pressure(*ch);
  // Behind what already waits, in arrival order; or read after the loop stopped reading it
  // (past its budget, or its output's high-water mark) and kept for later.
  if (ch->paused || ch->output_paused || !ch->parked.empty()) {
    park(*ch, data, size);
    set_reading(*ch, false);
    return false;
  }
  return receive_stream(*ch, data, size, false);
}

bool EventLoop::receive_stream(Channel &ch, const unsigned char *data, size_t size, bool ignore_budget,
                               bool from_parked) {
  ConnectionCore &core = *ch.conn;
  size_t used = 0;
  bool has_reader = false, full = false;
  TcpFrameDecoder::Result result;
  {
    std::lock_guard lock(core.member_lock);
    if (core.reader) {
      has_reader = true;
      ReaderCore &reader = *core.reader;
      const InputLimit limit(reader, core.input.consumed.load(std::memory_order_acquire));
      full = !ignore_budget && limit.reached(ch.delivered);
      if (!full) {
        Delivery delivery(*this, ch, core.reader);
        const auto sink = [&](const unsigned char *p, size_t n, std::vector<unsigned char> *held) {
          held != nullptr ? delivery.add_held(*held) : delivery.add(p, n);
          return ignore_budget || !limit.reached(ch.delivered);
        };
        result = ch.decoder.feed(data, size, reader.config(), sink);
        used = result.consumed;
        full = !ignore_budget && limit.reached(ch.delivered);
        if (!result.ok) {
          reader.oversize_frames.fetch_add(1, std::memory_order_relaxed);
          count(counters_.oversize_frames);
        }
      }
    }
  }
  if (!result.ok) {
    destroy(ch, true,
            "frame announcing " + std::to_string(result.announced) + " bytes exceeds the maximum datagram size");
    return false;
  }
  if (from_parked) {
    ch.parked.consume(used);  // the rest stays where it is
  } else if (used < size) {
    park(ch, data + used, size - used);
  }
  if (!has_reader) {
    set_reading(ch, false);  // detached: the bytes wait for the next reader
    return false;
  }
  if (full) {
    pause(ch);
    return false;
  }
  return true;
}

bool EventLoop::receive_packet(Channel &ch, const unsigned char *data, size_t size, const sockaddr *from,
                               socklen_t len) {
  ConnectionCore &core = *ch.conn;
  bool full;
  {
    std::lock_guard lock(core.member_lock);
    if (!core.reader) return false;  // read after the reader let go: a lost UDP packet
    ReaderCore &reader = *core.reader;
    const auto payload = verify_udp_packet(data, size, reader.config());
    if (!payload) {
      count(counters_.bad_datagrams);
      if (reader.bad_udp_datagrams.fetch_add(1, std::memory_order_relaxed) == 0 || log_enabled(LogLevel::debug)) {
        log(LogLevel::warning, "ignoring invalid UDP datagram of " + std::to_string(size) + " byte(s) from " +
                                   SocketAddress(from, len).to_string() + " (short or bad checksum; counted)");
      }
      return true;
    }
    const double drop = reader.udp_drop_probability.load(std::memory_order_relaxed);
    if (drop > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < drop) {
      reader.udp_dropped_by_fault_injection.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    const InputLimit limit(reader, core.input.consumed.load(std::memory_order_acquire));
    {
      Delivery delivery(*this, ch, core.reader);
      delivery.add(payload->data(), payload->size(), from, len);
    }
    full = limit.reached(ch.delivered);
  }
  if (full) {
    pause(ch);
    return false;
  }
  return true;
}

void EventLoop::park(Channel &ch, const unsigned char *data, size_t size) {
  ch.parked.append(data, size);
}

void EventLoop::pause(Channel &ch) {
  ch.paused = true;
  set_reading(ch, false);
  ch.conn->input.paused.store(true, std::memory_order_seq_cst);
  // A consumer may have caught up before it could see the flag; apply() looks again.
  enqueue(ch.conn);
}

bool EventLoop::below_low_water(Channel &ch) {
  std::shared_ptr<ReaderCore> reader;
  {
    std::lock_guard lock(ch.conn->member_lock);
    reader = ch.conn->reader;
  }
  return !reader || reader->below_low_water(ch.conn->input.outstanding());
}

void EventLoop::resume(Channel &ch) {
  ch.paused = false;
  if (!ch.parked.empty()) {
    const uint64_t id = ch.id;
    receive_stream(ch, ch.parked.data(), ch.parked.size(), false, true);  // may pause again, or close
    if (find(id) == nullptr) return;
  }
  if (ch.fin_pending && ch.parked.empty() && !ch.paused && !ch.closing) {
    ch.fin_pending = false;
    half_close(ch);
  }
}

void EventLoop::half_close(Channel &ch) {
  ch.input_closed = true;
  set_reading(ch, false);
  if (ch.decoder.buffered() > 0) {
    log(LogLevel::info, "peer " + ch.conn->address.to_string() + " closed mid-frame: " +
                            std::to_string(ch.decoder.buffered()) + " byte(s) of an incomplete datagram discarded");
    ch.decoder.reset();
  }
  report_reset(ch, "closed by peer");
  add_timer(ch, Clock::now() + engine_.close_timeout());  // closed once idle (run_timers)
}

void EventLoop::on_read_closed(uint64_t id, int error) {
  Channel *ch = find(id);
  if (ch == nullptr) return;
  ++activity_;
  if (ch->kind == ChannelKind::listener) {
    log(LogLevel::error, "listener on " + ch->conn->address.to_string() + " stopped accepting: " + std::strerror(error));
    set_reading(*ch, false);
    return;
  }
  if (ch->lingering || (ch->closing && error != 0)) {
    destroy(*ch, false, "");  // the peer hung up (lingering) or the connection broke
    return;
  }
  if (ch->closing) {  // FIN while writing the last output: nothing more to discard
    ch->input_closed = true;
    set_reading(*ch, false);
    return;
  }
  if (ch->input_closed) return;
  if (error == 0) {
    // FIN: the input is over, the conversation is not. Deliver what waits, keep writing.
    if (!ch->parked.empty()) {
      ch->fin_pending = true;
      set_reading(*ch, false);
      return;
    }
    half_close(*ch);
    return;
  }
  // The connection broke: what was read before still reaches the reader, then the reset.
  if (!ch->parked.empty()) {
    receive_stream(*ch, ch->parked.data(), ch->parked.size(), true, true);
    if ((ch = find(id)) == nullptr) return;
  }
  destroy(*ch, true, std::strerror(error));
}

void EventLoop::report_reset(Channel &ch, const std::string &why) {
  std::shared_ptr<ReaderCore> reader;
  {
    std::lock_guard lock(ch.conn->member_lock);
    if (ch.conn->reader && ch.conn->reader->delaying()) reader = ch.conn->reader;
  }
  if (reader) {  // after the connection's delayed datagrams
    DelayLine::Item item{release_time(ch, *reader), 0, nullptr, {}, why};
    item.datagram.connection = ch.conn;
    delayed_.hold(std::move(item));
    return;
  }
  engine_.report_reset(ch.conn, index_, why);
}

Clock::time_point EventLoop::release_time(Channel &ch, const ReaderCore &reader) {
  const int64_t lo = reader.delay_min_ns.load(std::memory_order_relaxed);
  const int64_t hi = reader.delay_max_ns.load(std::memory_order_relaxed);
  const int64_t ns = hi > lo ? std::uniform_int_distribution<int64_t>(lo, hi)(rng_) : hi;
  ch.last_release = std::max(ch.last_release, Clock::now() + std::chrono::nanoseconds(ns));
  return ch.last_release;
}

void EventLoop::release_delayed() {
  const auto now = Clock::now();
  DelayLine::Item item;
  while (delayed_.pop_due(now, item)) {
    const ConnectionRef conn = item.datagram.connection;
    if (!item.reader) {
      engine_.report_reset(conn, index_, item.why);
      continue;
    }
    ConnectionCore &core = *conn;
    const uint64_t unit = InputAccount::unit(item.datagram.size);
    bool pushed = false;
    {
      std::lock_guard lock(core.member_lock);
      if (core.reader == item.reader) pushed = item.reader->queue.push(index_, std::move(item.datagram));
    }
    if (pushed) {
      if (!threaded_) waiting_.fetch_add(1);
      touch(item.reader, &item.reader->queue);
    } else {
      core.input.consumed.fetch_add(unit, std::memory_order_acq_rel);  // detached or full: never taken
      count(core.datagrams_dropped);
      count(counters_.queue_drops);
    }
  }
}

void EventLoop::touch(std::shared_ptr<void> owner, QueueSignal *signal) {
  for (const Touched &t : touched_) {
    if (t.signal == signal) return;
  }
  touched_.push_back(Touched{std::move(owner), signal});
}

bool EventLoop::on_accept(uint64_t id, int fd) {
  Channel *ch = find(id);
  if (ch == nullptr || ch->closing) {
    ::close(fd);
    return false;
  }
  ++activity_;
  ConnectionCore &rendezvous = *ch->conn;
  const SocketAddress peer = peer_address(fd);
  std::unique_lock lock(rendezvous.member_lock);
  std::shared_ptr<ListenerCore> listener = rendezvous.listener;
  if (!listener) {
    lock.unlock();
    ::close(fd);
    set_reading(*ch, false);
    return false;
  }
  std::string why;
  ConnectionRef conn = engine_.adopt(fd, ChannelKind::stream, peer, &why);
  if (!conn) return false;  // shutting down: adopt closed it
  log(LogLevel::info, "accepted connection from " + peer.to_string());
  count(counters_.accepted);
  if (!listener->queue.push(index_, ListenerItem{ch->conn, peer, conn})) {
    lock.unlock();
    count(counters_.queue_drops);
    if (listener->queue.dropped() == 1) {
      log(LogLevel::error, "QueuedConnectionListener queue full! new connections are closed (overflow flag set)");
    }
    engine_.unregister(conn.get());
    conn->close_requested.store(true);
    engine_.loop_of(*conn).sync(conn);
    return true;
  }
  touch(listener, &listener->queue);
  return true;
}

}  // namespace queuednet::detail
