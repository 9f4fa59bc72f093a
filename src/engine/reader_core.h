// Internal. What a reader or listener shares with the event loops that feed it: its framing
// settings, its result queue, its member connections and its counters. Kept alive by
// shared_ptr from both sides, so a reader may be destroyed while loops still hold it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "engine/result_queue.h"
#include "framing/frame_config.h"
#include "queuednet/connection.h"
#include "queuednet/net_address.h"
#include "queuednet/net_datagram.h"

namespace queuednet::detail {

// Membership shared by readers and listeners; does not keep connections alive. Any thread.
class MemberSet {
 public:
  bool add(const std::shared_ptr<Connection> &c) {
    std::lock_guard lock(mutex_);
    return members_.emplace(c.get(), c).second;
  }
  std::vector<std::shared_ptr<Connection>> take_all() {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Connection>> out;
    for (auto &[raw, weak] : members_) {
      if (auto c = weak.lock()) out.push_back(std::move(c));
    }
    members_.clear();
    return out;
  }
  bool remove(const Connection *c) {
    std::lock_guard lock(mutex_);
    return members_.erase(c) > 0;
  }
  bool contains(const Connection *c) const {
    std::lock_guard lock(mutex_);
    return members_.count(c) > 0;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return members_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const Connection *, std::weak_ptr<Connection>> members_;
};

struct ReaderCore {
  std::atomic<int> header_size{kDefaultTcpHeaderSize};
  std::atomic<bool> raw{false};
  std::atomic<size_t> max_datagram_size{kDefaultMaxDatagramSize};
  ResultQueue<NetDatagram> queue;
  MemberSet members;
  std::atomic<uint64_t> datagrams_received{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> bad_udp_datagrams{0};
  std::atomic<uint64_t> oversize_frames{0};

  FrameConfig config() const {
    return FrameConfig{header_size.load(std::memory_order_relaxed), raw.load(std::memory_order_relaxed),
                       max_datagram_size.load(std::memory_order_relaxed)};
  }
};

struct ListenerItem {
  std::shared_ptr<Connection> rendezvous;
  NetAddress address;
  std::shared_ptr<Connection> connection;
};

struct ListenerCore {
  ResultQueue<ListenerItem> queue;
  MemberSet members;
};

}  // namespace queuednet::detail
