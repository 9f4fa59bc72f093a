// Internal. See event_loop.h.
#include "engine/event_loop.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/engine.h"
#include "engine/socket_ops.h"
#include "framing/frame_encoder.h"
#include "log.h"

namespace queuednet::detail {
namespace {

constexpr size_t kTaskBatch = 64;
constexpr size_t kKeepCapacity = 1u << 20;  // an emptied output buffer larger than this is freed
constexpr int kClosingTickMs = 10;

ChannelKind channel_kind(Connection::Kind k) {
  switch (k) {
    case Connection::Kind::tcp_listener: return ChannelKind::listener;
    case Connection::Kind::udp: return ChannelKind::datagram;
    case Connection::Kind::tcp_stream: break;
  }
  return ChannelKind::stream;
}

}  // namespace

EventLoop::EventLoop(Engine &engine, uint32_t index, std::unique_ptr<Backend> backend, bool threaded)
    : engine_(engine), index_(index), backend_(std::move(backend)), threaded_(threaded) {}

EventLoop::~EventLoop() {
  // The kernel may still hold output buffers (completion backends): tear the backend down
  // first, then free the channels.
  backend_.reset();
  for (auto &[id, ch] : channels_) {
    if (!ch->dead && ch->fd >= 0) {
      std::lock_guard lock(ch->core->mutex);
      ::close(ch->fd);
      ch->core->fd.store(-1);
    }
  }
}

// --- task submission ----------------------------------------------------------------------

void EventLoop::start_reading(std::shared_ptr<Connection> c, std::shared_ptr<ReaderCore> reader) {
  submit(Task{Op::read, std::move(c), std::move(reader), nullptr});
}

void EventLoop::stop_reading(std::shared_ptr<Connection> c) { submit(Task{Op::unread, std::move(c), nullptr, nullptr}); }

void EventLoop::start_accepting(std::shared_ptr<Connection> c, std::shared_ptr<ListenerCore> listener) {
  submit(Task{Op::accept, std::move(c), nullptr, std::move(listener)});
}

void EventLoop::request_flush(std::shared_ptr<Connection> c) { submit(Task{Op::flush, std::move(c), nullptr, nullptr}); }

void EventLoop::close(std::shared_ptr<Connection> c) { submit(Task{Op::close, std::move(c), nullptr, nullptr}); }

void EventLoop::kill(std::shared_ptr<Connection> c) { submit(Task{Op::kill, std::move(c), nullptr, nullptr}); }

void EventLoop::submit(Task &&task) {
  if (loop_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
    execute(task);
    return;
  }
  // Polled mode and nobody is turning the loop: run it here, after any task queued earlier.
  if (!threaded_ && run_mutex_.try_lock()) {
    run_inline(&task);
    return;
  }
  tasks_.enqueue(std::move(task));
  if (!threaded_ && run_mutex_.try_lock()) {  // the poller left meanwhile: do not strand it
    run_inline(nullptr);
    return;
  }
  if (!wake_pending_.exchange(true)) backend_->wake();
}

void EventLoop::run_inline(Task *task) {
  loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  drain_tasks();
  if (task != nullptr) execute(*task);
  backend_->submit();
  loop_thread_.store({}, std::memory_order_relaxed);
  run_mutex_.unlock();
}

void EventLoop::drain_tasks() {
  Task batch[kTaskBatch];
  size_t n;
  while ((n = tasks_.try_dequeue_bulk(batch, kTaskBatch)) > 0) {
    for (size_t i = 0; i < n; ++i) {
      execute(batch[i]);
      batch[i] = Task{};
    }
  }
}

void EventLoop::execute(Task &task) {
  Channel *ch = nullptr;
  switch (task.op) {
    case Op::read:
      if ((ch = channel_for(task.conn)) != nullptr && !ch->closing) {
        ch->reader = std::move(task.reader);
        backend_->set_reading(ch->id, ch->fd, ch->kind, true);
        if (!ch->parked.empty()) {
          std::vector<unsigned char> parked;
          parked.swap(ch->parked);
          on_data(ch->id, parked.data(), parked.size(), nullptr, 0);
        }
      }
      break;
    case Op::unread:
      if ((ch = find(task.conn->core().channel_id)) != nullptr && ch->reader) {
        ch->reader.reset();
        backend_->set_reading(ch->id, ch->fd, ch->kind, false);
      }
      break;
    case Op::accept:
      if ((ch = channel_for(task.conn)) != nullptr && !ch->closing) {
        ch->listener = std::move(task.listener);
        backend_->set_reading(ch->id, ch->fd, ch->kind, true);
      }
      break;
    case Op::flush:
      if ((ch = channel_for(task.conn)) != nullptr) {
        take_pending(*ch);
        pump(*ch);
      }
      break;
    case Op::close:
      if ((ch = channel_for(task.conn)) != nullptr && !ch->closing) begin_close(*ch, engine_.close_timeout());
      break;
    case Op::kill:
      if ((ch = channel_for(task.conn)) != nullptr) {
        destroy(*ch, true, "slow consumer: output passed the hard limit of its writer");
      }
      break;
  }
}

// --- turning the loop ---------------------------------------------------------------------

void EventLoop::turn(int timeout_ms) {
  wake_pending_.store(false);
  drain_tasks();
  backend_->wait(next_timeout(timeout_ms), *this);
  drain_tasks();
  if (num_closing_ > 0) expire_closing();
}

int EventLoop::next_timeout(int requested) const {
  if (num_closing_ == 0 && !stopping_.load(std::memory_order_relaxed)) return requested;
  return requested < 0 || requested > kClosingTickMs ? kClosingTickMs : requested;
}

int EventLoop::poll(int timeout_ms) {
  if (num_channels_.load(std::memory_order_relaxed) == 0 && tasks_.size_approx() == 0 && timeout_ms == 0) return 0;
  if (!run_mutex_.try_lock()) return -1;
  loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  const uint64_t before = activity_;
  turn(timeout_ms);
  const int handled = static_cast<int>(activity_ - before);
  loop_thread_.store({}, std::memory_order_relaxed);
  run_mutex_.unlock();
  return handled;
}

void EventLoop::run() {
  loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  bool closing_all = false;
  for (;;) {
    if (stopping_.load(std::memory_order_acquire)) {
      const auto deadline = Clock::time_point(Clock::duration(stop_deadline_ns_.load()));
      if (!closing_all) {
        closing_all = true;
        drain_tasks();  // sends accepted before stop() still go out
        std::vector<Channel *> all;
        for (auto &[id, ch] : channels_) all.push_back(ch.get());
        for (Channel *ch : all) {
          if (!ch->closing && !ch->dead) begin_close(*ch, deadline - Clock::now());
        }
      }
      if (num_channels_.load() == 0 || Clock::now() >= deadline) break;
    }
    turn(-1);
  }
  std::vector<Channel *> left;
  for (auto &[id, ch] : channels_) {
    if (!ch->dead) left.push_back(ch.get());
  }
  for (Channel *ch : left) destroy(*ch, false, "");
  loop_thread_.store({}, std::memory_order_relaxed);
}

void EventLoop::stop(std::chrono::milliseconds timeout) {
  stop_deadline_ns_.store((Clock::now() + timeout).time_since_epoch().count());
  stopping_.store(true, std::memory_order_release);
  backend_->wake();
}

void EventLoop::drain_and_close(std::chrono::milliseconds timeout) {
  std::lock_guard lock(run_mutex_);
  loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  drain_tasks();
  const auto deadline = Clock::now() + timeout;
  std::vector<Channel *> all;
  for (auto &[id, ch] : channels_) all.push_back(ch.get());
  for (Channel *ch : all) {
    if (!ch->closing && !ch->dead) begin_close(*ch, timeout);
  }
  while (num_channels_.load() > 0 && Clock::now() < deadline) turn(kClosingTickMs);
  std::vector<Channel *> left;
  for (auto &[id, ch] : channels_) {
    if (!ch->dead) left.push_back(ch.get());
  }
  for (Channel *ch : left) destroy(*ch, false, "");
  loop_thread_.store({}, std::memory_order_relaxed);
}

// --- channels -----------------------------------------------------------------------------

EventLoop::Channel *EventLoop::find(uint64_t id) {
  if (id == 0) return nullptr;
  auto it = channels_.find(id);
  return it == channels_.end() || it->second->dead ? nullptr : it->second.get();
}

EventLoop::Channel *EventLoop::channel_for(const std::shared_ptr<Connection> &c) {
  ConnectionCore &core = c->core();
  if (Channel *ch = find(core.channel_id)) return ch;
  const int fd = core.fd.load();
  if (fd < 0) return nullptr;  // closed
  auto ch = std::make_unique<Channel>();
  ch->id = ++next_id_;
  ch->conn = c;
  ch->core = &core;
  ch->fd = fd;
  ch->kind = channel_kind(core.kind);
  core.channel_id = ch->id;
  backend_->add(ch->id, fd, ch->kind);
  Channel *raw = ch.get();
  channels_.emplace(ch->id, std::move(ch));
  num_channels_.fetch_add(1);
  return raw;
}

void EventLoop::take_pending(Channel &ch) {
  std::vector<PendingPacket> packets;
  {
    std::lock_guard lock(ch.core->mutex);
    ch.core->flush_queued = false;
    std::vector<unsigned char> &target = ch.send_pending ? ch.next : ch.out;
    if (target.empty()) {
      target.swap(ch.core->pending_stream);
    } else {
      target.insert(target.end(), ch.core->pending_stream.begin(), ch.core->pending_stream.end());
      ch.core->pending_stream.clear();
    }
    packets.swap(ch.core->pending_packets);
  }
  for (PendingPacket &p : packets) {
    const ssize_t n = send_datagram_to(ch.fd, p.bytes.data(), p.bytes.size(), p.to, ch.core->address.get_family());
    ch.core->queued_bytes.fetch_sub(p.bytes.size());
    if (n < 0) log(LogLevel::warning, "UDP send to " + p.to.to_string() + " failed: " + std::strerror(-n));
  }
}

bool EventLoop::pump(Channel &ch) {
  while (!ch.send_pending) {
    if (ch.out_off == ch.out.size()) {
      ch.out_off = 0;
      ch.out.clear();
      if (ch.out.capacity() > kKeepCapacity) std::vector<unsigned char>().swap(ch.out);
      if (ch.next.empty()) break;
      ch.out.swap(ch.next);
    }
    const ssize_t r = backend_->send(ch.id, ch.fd, ch.out.data() + ch.out_off, ch.out.size() - ch.out_off);
    if (r == kSendPending) {
      ch.send_pending = true;
      return true;
    }
    if (r == -EAGAIN || r == -EWOULDBLOCK) {
      if (!ch.wants_write) {
        ch.wants_write = true;
        backend_->want_writable(ch.id, ch.fd, true);
      }
      return true;
    }
    if (r < 0) {
      destroy(ch, true, std::string("send failed: ") + std::strerror(static_cast<int>(-r)));
      return false;
    }
    ch.out_off += static_cast<size_t>(r);
    ch.core->queued_bytes.fetch_sub(static_cast<size_t>(r));
  }
  if (ch.send_pending) return true;
  if (ch.wants_write) {
    ch.wants_write = false;
    backend_->want_writable(ch.id, ch.fd, false);
  }
  if (ch.closing) {
    destroy(ch, false, "");
    return false;
  }
  return true;
}

void EventLoop::begin_close(Channel &ch, Clock::duration timeout) {
  if (ch.reader) {
    ch.reader->members.remove(ch.conn.get());
    ch.reader.reset();
  }
  ch.listener.reset();
  backend_->set_reading(ch.id, ch.fd, ch.kind, false);
  take_pending(ch);
  ch.closing = true;
  ch.close_deadline = Clock::now() + timeout;
  ++num_closing_;
  pump(ch);  // destroys the channel once the output is written
}

void EventLoop::expire_closing() {
  const auto now = Clock::now();
  std::vector<Channel *> expired;
  for (auto &[id, ch] : channels_) {
    if (ch->closing && !ch->dead && now >= ch->close_deadline) expired.push_back(ch.get());
  }
  for (Channel *ch : expired) {
    log(LogLevel::warning, "close timeout: discarding " + std::to_string(ch->core->queued_bytes.load()) +
                               " unsent byte(s) to " + ch->core->address.to_string());
    destroy(*ch, false, "");
  }
}

void EventLoop::destroy(Channel &ch, bool reset, const std::string &why) {
  if (ch.dead) return;
  backend_->remove(ch.id, ch.fd);
  {
    std::lock_guard lock(ch.core->mutex);
    ::close(ch.fd);
    ch.core->fd.store(-1);
    ch.core->pending_stream.clear();
    ch.core->pending_packets.clear();
  }
  ch.core->queued_bytes.store(0);
  if (ch.decoder.buffered() > 0) {
    log(LogLevel::info, "peer " + ch.core->address.to_string() + " vanished mid-frame: " +
                            std::to_string(ch.decoder.buffered()) + " byte(s) of an incomplete datagram discarded");
  }
  if (ch.reader) ch.reader->members.remove(ch.conn.get());
  if (ch.closing) --num_closing_;
  num_channels_.fetch_sub(1);
  std::shared_ptr<Connection> conn = std::move(ch.conn);
  ch.reader.reset();
  ch.listener.reset();
  if (ch.send_pending) {
    ch.dead = true;  // the kernel still reads ch.out; freed in on_send_complete
  } else {
    channels_.erase(ch.id);  // `ch` is gone from here on
  }
  if (reset) engine_.report_reset(conn, index_, why);
}

// --- backend events -----------------------------------------------------------------------

void EventLoop::deliver(Channel &ch, const unsigned char *data, size_t size, const NetAddress &from) {
  NetDatagram dg(data, size);
  dg.set_connection(ch.conn);
  dg.set_address(from);
  ReaderCore &reader = *ch.reader;
  if (!reader.queue.push(index_, std::move(dg)) && reader.queue.dropped() == 1) {
    log(LogLevel::error, "QueuedConnectionReader queue full! newest datagrams are dropped (overflow flag set)");
  }
}

void EventLoop::on_data(uint64_t id, const unsigned char *data, size_t size, const sockaddr *from,
                        socklen_t from_len) {
  Channel *ch = find(id);
  if (ch == nullptr) return;
  if (!ch->reader) {
    if (ch->kind == ChannelKind::stream) ch->parked.insert(ch->parked.end(), data, data + size);
    return;
  }
  ++activity_;
  ReaderCore &reader = *ch->reader;
  const FrameConfig config = reader.config();
  if (ch->kind == ChannelKind::datagram) {
    const auto payload = verify_udp_packet(data, size, config);
    if (!payload) {
      if (reader.bad_udp_datagrams.fetch_add(1) == 0 || log_enabled(LogLevel::debug)) {
        log(LogLevel::warning, "ignoring invalid UDP datagram of " + std::to_string(size) + " byte(s) from " +
                                   NetAddress(from, from_len).to_string() + " (short or bad checksum; counted)");
      }
      return;
    }
    deliver(*ch, payload->data(), payload->size(), NetAddress(from, from_len));
    return;
  }
  const auto result = ch->decoder.feed(data, size, config,
                                       [&](const unsigned char *p, size_t n) { deliver(*ch, p, n, ch->core->address); });
  if (!result.ok) {
    reader.oversize_frames.fetch_add(1);
    destroy(*ch, true,
            "frame announcing " + std::to_string(result.announced) + " bytes exceeds the maximum datagram size " +
                std::to_string(config.max_datagram_size));
  }
}

void EventLoop::on_accept(uint64_t id, int fd) {
  Channel *ch = find(id);
  if (ch == nullptr || !ch->listener) {
    ::close(fd);
    return;
  }
  ++activity_;
  const NetAddress peer = peer_address(fd);
  std::shared_ptr<Connection> conn = engine_.adopt(fd, Connection::Kind::tcp_stream, peer);
  if (!conn) return;  // engine shut down; adopt closed it
  log(LogLevel::info, "accepted connection from " + peer.to_string());
  ListenerCore &listener = *ch->listener;
  if (!listener.queue.push(index_, ListenerItem{ch->conn, peer, conn})) {
    log(LogLevel::error, "QueuedConnectionListener queue full! closing new connection from " + peer.to_string());
    engine_.unregister(conn.get());
    engine_.loop_of(*conn).close(conn);
  }
}

void EventLoop::on_read_closed(uint64_t id, int error) {
  Channel *ch = find(id);
  if (ch == nullptr) return;
  ++activity_;
  if (ch->kind == ChannelKind::listener) {
    log(LogLevel::error, "listener on " + ch->core->address.to_string() + " stopped accepting: " + std::strerror(error));
    return;
  }
  destroy(*ch, true, error == 0 ? "closed by peer" : std::string(std::strerror(error)));
}

void EventLoop::on_writable(uint64_t id) {
  if (Channel *ch = find(id)) pump(*ch);
}

void EventLoop::on_send_complete(uint64_t id, ssize_t result) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return;
  Channel &ch = *it->second;
  ch.send_pending = false;
  if (ch.dead) {
    channels_.erase(it);
    return;
  }
  if (result == -EAGAIN || result == -EWOULDBLOCK) {
    ch.wants_write = true;
    backend_->want_writable(ch.id, ch.fd, true);  // on_writable resumes the pump
    return;
  }
  if (result < 0) {
    destroy(ch, true, std::string("send failed: ") + std::strerror(static_cast<int>(-result)));
    return;
  }
  ch.out_off += static_cast<size_t>(result);
  ch.core->queued_bytes.fetch_sub(static_cast<size_t>(result));
  pump(ch);
}

}  // namespace queuednet::detail
