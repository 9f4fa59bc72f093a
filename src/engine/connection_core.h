// Internal. The state of a Connection shared between application threads and the event loop
// that owns it. Senders append framed bytes under `mutex`; the loop takes them from there.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "queuednet/connection.h"
#include "queuednet/net_address.h"

namespace queuednet::detail {

class Engine;

struct PendingPacket {
  NetAddress to;
  std::vector<unsigned char> bytes;
};

struct ConnectionCore {
  ConnectionCore(const std::shared_ptr<Engine> &engine_, int fd_, Connection::Kind kind_, uint32_t loop_,
                 NetAddress address_)
      : engine(engine_), owner(engine_.get()), kind(kind_), loop_index(loop_), address(address_), fd(fd_) {}

  const std::weak_ptr<Engine> engine;
  const Engine *const owner;  // identity of the engine, for checks on the hot path
  const Connection::Kind kind;
  const uint32_t loop_index;  // the loop that owns it, for life
  const NetAddress address;   // peer (stream) or local (listener, UDP)

  std::atomic<int> fd;                 // -1 once closed (closed under `mutex`)
  std::atomic<bool> reset_reported{false};
  std::atomic<bool> close_requested{false};
  std::atomic<bool> in_reader{false};  // a connection feeds at most one reader or listener
  std::atomic<size_t> queued_bytes{0};  // accepted from writers, not yet taken by the kernel

  std::mutex mutex;  // guards the fields below, and closing `fd` against setsockopt
  std::vector<unsigned char> pending_stream;
  std::vector<PendingPacket> pending_packets;
  bool flush_queued = false;  // a flush task is on its way to the loop
  bool collect_tcp = false;
  double collect_interval = 0.2;
  std::chrono::steady_clock::time_point last_flush{};

  // collect-tcp: whether bytes sent `now` should stay held (the interval since the last flush
  // has not passed). A connection that never flushed holds nothing. Call with `mutex` held.
  bool collect_holds(std::chrono::steady_clock::time_point now) const {
    return collect_tcp && last_flush != std::chrono::steady_clock::time_point{} && now >= last_flush &&
           now - last_flush < std::chrono::duration<double>(collect_interval);
  }

  // Loop thread only.
  uint64_t channel_id = 0;  // 0: no channel yet (attached lazily by the owning loop)
};

}  // namespace queuednet::detail
