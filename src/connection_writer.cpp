// Internal. ConnectionWriter: framing on the caller's thread, under the connection's one lock;
// when the bytes are written is the owning loop's write rule (event_loop.h).
#include "queuednet/connection_writer.h"

#include <algorithm>

#include "component_threads.h"
#include "engine/engine.h"
#include "engine_bridge.h"
#include "engine/event_loop.h"
#include "engine/loop_counters.h"
#include "engine/socket_ops.h"
#include "error_record.h"
#include "framing/frame_encoder.h"
#include "log.h"
#include "queuednet/connection_manager.h"
#include "queuednet/net_datagram.h"

namespace queuednet {

using detail::ConnectionAccess;

namespace {

constexpr size_t kMaxUdpPayload = 65507;  // IPv4 UDP maximum

}  // namespace

ConnectionWriter::ConnectionWriter(ConnectionManager *manager, int num_threads)
    : engine_(manager->engine_), header_size_(detail::kDefaultTcpHeaderSize) {
  detail::apply_component_threads(*engine_, num_threads, "ConnectionWriter");
}

ConnectionWriter::~ConnectionWriter() = default;

bool ConnectionWriter::check_connection(const std::shared_ptr<Connection> &connection, Connection::Kind kind,
                                        const char *what) {
  if (!shut_down_.load(std::memory_order_relaxed) && !engine_->is_shut_down() && connection &&
      ConnectionAccess::core(*connection).owner == engine_.get() &&
      ConnectionAccess::core(*connection).kind == detail::channel_kind(kind))
      [[likely]] {
    return true;
  }
  return reject_connection(connection, kind, what);
}

bool ConnectionWriter::reject_connection(const std::shared_ptr<Connection> &connection, Connection::Kind kind,
                                         const char *what) {
  if (shut_down_.load(std::memory_order_relaxed) || engine_->is_shut_down()) {
    detail::set_last_error_quiet(make_error_code(errc::shut_down), std::string(what) + ": the writer is shut down");
    return false;
  }
  if (!connection || ConnectionAccess::core(*connection).owner != engine_.get()) {
    detail::set_last_error(make_error_code(errc::invalid_argument),
                           std::string(what) + ": null connection, or one from another manager");
    return false;
  }
  if (ConnectionAccess::core(*connection).kind != detail::channel_kind(kind)) {
    detail::set_last_error(make_error_code(errc::wrong_connection_kind),
                           std::string(what) + (kind == Connection::Kind::udp
                                                    ? ": needs a UDP connection"
                                                    : ": needs a TCP stream connection (UDP takes an address)"));
    return false;
  }
  return true;
}

namespace {

static_assert(ConnectionWriter::kDefaultMaxQueueBytes == detail::kDefaultOutputHighWater &&
              ConnectionWriter::kDefaultHardLimitBytes == detail::kDefaultOutputHardLimit);

// Whether `bytes` more may be queued on `core` (its output_lock held), by the output policy
// (output_policy.h): ok; refused (false: closed, or full); or condemned (*killed: the
// connection passed the hard limit and is closed as a slow consumer).
struct Admit {
  detail::OutputLimits limits;
  const char *what;

  bool operator()(detail::ConnectionCore &core, size_t bytes, bool *killed) const {
    const bool open = core.fd.load(std::memory_order_relaxed) >= 0 &&
                      !core.close_requested.load(std::memory_order_relaxed) && !core.kill_requested;
    const detail::Admission a = detail::admit_output(open, core.queued_bytes(), bytes, limits);
    if (a == detail::Admission::ok) [[likely]] return true;
    return refuse(core, a, killed);
  }

  [[gnu::cold]] [[gnu::noinline]] bool refuse(detail::ConnectionCore &core, detail::Admission a, bool *killed) const {
    const size_t queued = core.queued_bytes();
    switch (a) {
      case detail::Admission::closed:
        detail::set_last_error_quiet(make_error_code(errc::connection_closed),
                                     std::string(what) + ": the connection is closed");
        return false;
      case detail::Admission::full:
        detail::set_last_error_quiet(make_error_code(errc::output_buffer_full),
                                     std::string(what) + ": " + std::to_string(queued) + " bytes already wait for " +
                                         core.address.to_string() + " (high-water mark " +
                                         std::to_string(limits.high_water) + ")");
        return false;
      case detail::Admission::slow_consumer:
        detail::set_last_error_quiet(make_error_code(errc::slow_consumer),
                                     std::string(what) + ": output to " + core.address.to_string() +
                                         " passed the hard limit; closing it as a slow consumer");
        detail::log(detail::LogLevel::warning, "closing " + core.address.to_string() + " as a slow consumer: " +
                                                   std::to_string(queued) + " byte(s) unread (hard limit " +
                                                   std::to_string(limits.hard_limit) + ")");
        core.kill_requested = true;  // later sends are refused as closed: logged once
        *killed = true;
        return true;
      case detail::Admission::ok:
        break;
    }
    return true;
  }
};

}  // namespace

// Inlined into both sends: it ends every send, and a call costs more than its body.
[[gnu::always_inline]] inline bool ConnectionWriter::hand_over(const std::shared_ptr<Connection> &connection,
                                                               bool need_sync, bool killed, size_t bytes,
                                                               const char *what) {
  detail::ConnectionCore &core = ConnectionAccess::core(*connection);
  detail::EventLoop &loop = engine_->loop_of(core);
  if (killed) {
    loop.sync(detail::ref_of(connection));
    return false;
  }
  loop.output_queued(core, need_sync, bytes);
  // Polled mode writes on this thread when nothing waits to be read: a failed write closed the
  // connection, and send() says so (the reset is still reported once).
  if (core.fd.load(std::memory_order_acquire) >= 0) [[likely]] return true;
  write_failed(core, what);
  return false;
}

void ConnectionWriter::write_failed(detail::ConnectionCore &core, const char *what) {
  detail::set_last_error(make_error_code(errc::connection_closed),
                         std::string(what) + ": writing to " + core.address.to_string() + " failed; connection closed");
}

bool ConnectionWriter::too_large(size_t size, const detail::FrameConfig &config) {
  detail::set_last_error(make_error_code(errc::datagram_too_large),
                         "Attempt to send TCP datagram of " + std::to_string(size) + " bytes--too long! (a " +
                             std::to_string(config.header_size) + "-byte header carries at most " +
                             std::to_string(detail::max_tcp_payload(config)) + ")");
  return false;
}

[[gnu::always_inline]] inline bool ConnectionWriter::send_tcp(const unsigned char *data, size_t size,
                                                              const std::shared_ptr<Connection> &connection,
                                                              bool block) {
  if (!check_connection(connection, Connection::Kind::tcp_stream, "send")) return false;
  const detail::FrameConfig config{header_size_.load(std::memory_order_relaxed), raw_.load(std::memory_order_relaxed),
                                   detail::kDefaultMaxDatagramSize};
  if (size > detail::max_tcp_payload(config)) [[unlikely]] return too_large(size, config);
  const size_t frame = detail::tcp_header_bytes(config) + size;
  detail::ConnectionCore &core = ConnectionAccess::core(*connection);
  bool need_sync, killed = false, held = false;
  {
    const Admit admit{{max_queue_bytes_.load(std::memory_order_relaxed), hard_limit_bytes_.load(std::memory_order_relaxed),
                       block},
                      "send"};
    std::lock_guard lock(core.output_lock);
    if (!admit(core, frame, &killed)) return false;
    if (!killed) {
      if (core.output_high_water.load(std::memory_order_relaxed) != admit.limits.high_water) {
        core.output_high_water.store(admit.limits.high_water, std::memory_order_relaxed);
      }
      if (core.pending.capacity() == 0) core.pending.reserve(std::max<size_t>(core.pending_hint, frame));
      detail::write_tcp_frame(core.pending.append(frame), data, size, config);
      detail::count(core.datagrams_out);  // under the lock: no locked instruction
      detail::count(core.bytes_out, frame);
      held = core.collect_holds(frame);  // no clock read while collect-tcp is off
    }
    need_sync = !held && !core.sync_queued;
    if (!held && !killed) core.sync_queued = true;
    if (need_sync && !killed) core.marked_epoch.store(engine_->loop_of(core).write_epoch(), std::memory_order_relaxed);
  }
  if (held) return true;
  return hand_over(connection, need_sync, killed, frame, "send");
}

bool ConnectionWriter::send(const Datagram &datagram, const std::shared_ptr<Connection> &connection, bool block) {
  return send_tcp(static_cast<const unsigned char *>(datagram.get_data()), datagram.get_length(), connection, block);
}

size_t ConnectionWriter::send_batch(std::span<const Outgoing> batch, bool block) {
  // Polled mode: while the batch is queued it counts as a datagram waiting to be read, so
  // each send only appends (the write rule's mid-drain case), and the end writes them all.
  struct WaitingBatch {
    detail::Engine &engine;
    std::atomic<int64_t> *waiting;
    // Also on an exception: nothing else waits to be read, so the batch was the drain's last
    // answer, and what it queued is written now.
    ~WaitingBatch() {
      if (waiting != nullptr && waiting->fetch_sub(1, std::memory_order_relaxed) == 1) engine.application_idle();
    }
  } guard{*engine_, engine_->polled() ? &engine_->waiting_datagrams() : nullptr};
  if (guard.waiting != nullptr) guard.waiting->fetch_add(1, std::memory_order_relaxed);
  size_t sent = 0;
  for (const Outgoing &o : batch) sent += send_tcp(static_cast<const unsigned char *>(o.data), o.size, *o.connection, block);
  return sent;
}

bool ConnectionWriter::send(const Datagram &datagram, const std::shared_ptr<Connection> &connection,
                            const NetAddress &address, bool block) {
  if (!check_connection(connection, Connection::Kind::udp, "send(UDP)")) return false;
  const detail::FrameConfig config{header_size_.load(), raw_.load(), detail::kDefaultMaxDatagramSize};
  const size_t packet = datagram.get_length() + (config.raw ? 0 : 2);
  if (packet > kMaxUdpPayload) {
    detail::set_last_error(make_error_code(errc::datagram_too_large),
                           "send(UDP): a packet of " + std::to_string(packet) + " bytes exceeds the UDP maximum of " +
                               std::to_string(kMaxUdpPayload));
    return false;
  }
  detail::ConnectionCore &core = ConnectionAccess::core(*connection);
  detail::PendingPacket p;
  p.to_len = detail::destination_for(detail::socket_address(address), core.address.family(), p.to);
  bool need_sync, killed = false;
  uint64_t number = 0;
  {
    const Admit admit{{max_queue_bytes_.load(std::memory_order_relaxed), hard_limit_bytes_.load(std::memory_order_relaxed),
                       block},
                      "send(UDP)"};
    std::lock_guard lock(core.output_lock);
    if (!admit(core, packet, &killed)) return false;
    if (!killed) {
      detail::PacketQueue &q = core.udp->queued;
      p.offset = static_cast<uint32_t>(q.bytes.size());
      p.size = static_cast<uint32_t>(packet);
      number = p.number = core.datagrams_out.load(std::memory_order_relaxed) + 1;
      core.datagrams_out.store(number, std::memory_order_relaxed);  // under the lock
      detail::append_udp_packet(q.bytes, static_cast<const unsigned char *>(datagram.get_data()),
                                datagram.get_length(), config);
      q.packets.push_back(p);
      detail::count(core.bytes_out, packet);
    }
    need_sync = !core.sync_queued;
    if (!killed) core.sync_queued = true;
  }
  if (!hand_over(connection, need_sync, killed, packet, "send(UDP)")) return false;
  // Polled mode writes on this thread when nothing waits to be read: if the kernel refused
  // this very packet, say so (the socket stays open; UDP failures close nothing).
  if (core.udp->failed_number.load(std::memory_order_acquire) == number) {
    detail::set_last_error_quiet(detail::errno_code(core.udp->failed_errno.load(std::memory_order_relaxed)),
                                 "send(UDP) to " + address.to_string() + " failed; the packet is lost");
    return false;
  }
  return true;
}

bool ConnectionWriter::is_valid_for_udp(const Datagram &datagram) const {
  return datagram.get_length() <= NetDatagram::maximum_udp_datagram;
}

ConnectionManager *ConnectionWriter::get_manager() const { return engine_->manager(); }
bool ConnectionWriter::is_immediate() const { return engine_->polled(); }
int ConnectionWriter::get_num_threads() const { return engine_->num_threads(); }
void ConnectionWriter::set_raw_mode(bool mode) { raw_.store(mode); }
bool ConnectionWriter::get_raw_mode() const { return raw_.load(); }

bool ConnectionWriter::set_tcp_header_size(int size) {
  if (size != 0 && size != 2 && size != 4) {
    detail::set_last_error(make_error_code(errc::invalid_argument),
                           "set_tcp_header_size(" + std::to_string(size) + "): must be 0, 2 or 4");
    return false;
  }
  header_size_.store(size);
  return true;
}

int ConnectionWriter::get_tcp_header_size() const { return header_size_.load(); }
void ConnectionWriter::set_max_queue_size(size_t max_bytes) { max_queue_bytes_.store(max_bytes); }
size_t ConnectionWriter::get_max_queue_size() const { return max_queue_bytes_.load(); }
size_t ConnectionWriter::get_current_queue_size() const { return engine_->total_pending_output(); }
void ConnectionWriter::set_hard_limit(size_t max_bytes) { hard_limit_bytes_.store(max_bytes); }
size_t ConnectionWriter::get_hard_limit() const { return hard_limit_bytes_.load(); }
void ConnectionWriter::shutdown() { shut_down_.store(true); }

}  // namespace queuednet
