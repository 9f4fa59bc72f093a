// Internal. ConnectionWriter: framing on the caller's thread, I/O on the owning loop.
#include "queuednet/connection_writer.h"

#include "component_threads.h"
#include "engine/connection_core.h"
#include "engine/engine.h"
#include "engine/event_loop.h"
#include "error_record.h"
#include "framing/frame_encoder.h"
#include "queuednet/connection_manager.h"
#include "queuednet/net_datagram.h"

namespace queuednet {
namespace {

constexpr size_t kMaxUdpPayload = 65507;  // IPv4 UDP maximum

// Whether a send should hand the connection's pending bytes to its loop now (collect-tcp
// holds them until the interval has passed). Called with core.mutex held.
bool due_for_flush(detail::ConnectionCore &core) {
  const auto now = std::chrono::steady_clock::now();
  if (core.collect_holds(now)) return false;
  core.last_flush = now;
  if (core.flush_queued) return false;  // a flush is already on its way and will take these bytes
  core.flush_queued = true;
  return true;
}

}  // namespace

ConnectionWriter::ConnectionWriter(ConnectionManager *manager, int num_threads)
    : engine_(manager->engine_), header_size_(detail::kDefaultTcpHeaderSize) {
  detail::apply_component_threads(*engine_, num_threads, "ConnectionWriter");
}

ConnectionWriter::~ConnectionWriter() = default;

bool ConnectionWriter::check_connection(const std::shared_ptr<Connection> &connection, Connection::Kind kind,
                                        const char *what) {
  if (shut_down_.load(std::memory_order_relaxed) || engine_->is_shut_down()) {
    detail::set_last_error_quiet(make_error_code(errc::shut_down), std::string(what) + ": the writer is shut down");
    return false;
  }
  if (!connection || connection->core().owner != engine_.get()) {
    detail::set_last_error(make_error_code(errc::invalid_argument),
                           std::string(what) + ": null connection, or one from another manager");
    return false;
  }
  if (connection->core().kind != kind) {
    detail::set_last_error(make_error_code(errc::wrong_connection_kind),
                           std::string(what) + (kind == Connection::Kind::udp
                                                    ? ": needs a UDP connection"
                                                    : ": needs a TCP stream connection (UDP takes an address)"));
    return false;
  }
  return true;
}

bool ConnectionWriter::check_room(Connection &connection, size_t bytes, bool block) {
  const size_t queued = connection.core().queued_bytes.load(std::memory_order_relaxed);
  if (!block && queued >= max_queue_bytes_.load(std::memory_order_relaxed)) {
    detail::set_last_error_quiet(make_error_code(errc::output_buffer_full),
                                 "send: " + std::to_string(queued) + " bytes already wait for " +
                                     connection.get_address().to_string() + " (high-water mark " +
                                     std::to_string(max_queue_bytes_.load()) + ")");
    return false;
  }
  if (queued + bytes > hard_limit_bytes_.load(std::memory_order_relaxed)) {
    detail::set_last_error(make_error_code(errc::slow_consumer),
                           "send: output to " + connection.get_address().to_string() +
                               " passed the hard limit; closing it as a slow consumer");
    engine_->loop_of(connection).kill(connection.shared_from_this());
    return false;
  }
  return true;
}

bool ConnectionWriter::send(const Datagram &datagram, const std::shared_ptr<Connection> &connection, bool block) {
  if (!check_connection(connection, Connection::Kind::tcp_stream, "send")) return false;
  const detail::FrameConfig config{header_size_.load(std::memory_order_relaxed), raw_.load(std::memory_order_relaxed),
                                   detail::kDefaultMaxDatagramSize};
  const size_t size = datagram.get_length();
  if (size > detail::max_tcp_payload(config)) {
    detail::set_last_error(make_error_code(errc::datagram_too_large),
                           "Attempt to send TCP datagram of " + std::to_string(size) + " bytes--too long! (a " +
                               std::to_string(config.header_size) + "-byte header carries at most " +
                               std::to_string(detail::max_tcp_payload(config)) + ")");
    return false;
  }
  const size_t frame = size + (config.stream_unframed() ? 0 : static_cast<size_t>(config.header_size));
  if (!check_room(*connection, frame, block)) return false;
  detail::ConnectionCore &core = connection->core();
  bool hand_over;
  {
    std::lock_guard lock(core.mutex);
    if (core.fd.load(std::memory_order_relaxed) < 0 || core.close_requested.load(std::memory_order_relaxed)) {
      detail::set_last_error_quiet(make_error_code(errc::connection_closed), "send: the connection is closed");
      return false;
    }
    detail::append_tcp_frame(core.pending_stream, datagram.get_array().data(), size, config);
    core.queued_bytes.fetch_add(frame, std::memory_order_relaxed);
    hand_over = due_for_flush(core);
  }
  if (hand_over) engine_->loop_of(*connection).request_flush(connection);
  return true;
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
  if (!check_room(*connection, packet, block)) return false;
  detail::ConnectionCore &core = connection->core();
  bool hand_over;
  {
    std::lock_guard lock(core.mutex);
    if (core.fd.load(std::memory_order_relaxed) < 0 || core.close_requested.load(std::memory_order_relaxed)) {
      detail::set_last_error_quiet(make_error_code(errc::connection_closed), "send(UDP): the connection is closed");
      return false;
    }
    detail::PendingPacket p{address, {}};
    p.bytes.reserve(packet);
    detail::append_udp_packet(p.bytes, datagram.get_array().data(), datagram.get_length(), config);
    core.pending_packets.push_back(std::move(p));
    core.queued_bytes.fetch_add(packet, std::memory_order_relaxed);
    hand_over = !core.flush_queued;
    core.flush_queued = true;
  }
  if (hand_over) engine_->loop_of(*connection).request_flush(connection);
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
