// Internal. ConnectionCore: a connection's record, in one allocation: the state its application
// threads and its event loop share, then the loop's own part (`channel`). The application's
// handle (the public Connection) owns the record; the engine holds it through ConnectionRef,
// which shares the handle's ownership, so neither outlives the other and the engine never
// names the public type.
//
// Application threads never touch the channel. They record what they want in the shared part
// (bytes to send, the reader or listener to feed, close, kill) and ask the loop to look at the
// connection again (EventLoop::sync). Because the loop always reads the latest state, requests
// from different threads cannot be applied out of order.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "backends/backend.h"
#include "engine/byte_buffer.h"
#include "engine/channel.h"
#include "engine/output_policy.h"
#include "engine/socket_address.h"
#include "engine/spin_lock.h"

namespace queuednet {
class Connection;
}

namespace queuednet::detail {

class Engine;
struct ReaderCore;
struct ListenerCore;

// A UDP packet waiting to be sent: its destination and where its bytes are in the
// connection's packet buffer (one buffer for all, no allocation per packet).
struct PendingPacket {
  sockaddr_in6 to;  // holds a sockaddr_in as well
  socklen_t to_len;
  uint32_t offset;
  uint32_t size;
  uint64_t number;  // ConnectionCore::datagrams_out once it was accepted
};

// UDP packets in send order.
struct PacketQueue {
  std::vector<PendingPacket> packets;
  std::vector<unsigned char> bytes;
  bool empty() const { return packets.empty(); }
  void clear() {
    packets.clear();
    bytes.clear();
  }
};

// A UDP socket's output: the packets its writers queued and those its loop is sending. Only a
// datagram connection has one (ConnectionCore::udp): a stream's record does not carry it.
struct DatagramOutput {
  PacketQueue queued;  // in send order, under the core's `output_lock`
  // The last packet the kernel refused (its PendingPacket::number, 0: none) and why, so a
  // polled send() whose own packet failed can say so.
  std::atomic<uint64_t> failed_number{0};
  std::atomic<int> failed_errno{0};
  // The owning loop's thread only, on its own cache lines.
  alignas(64) PacketQueue sending;  // being sent; the first `sending_off` are gone
  size_t sending_off = 0;
  uint64_t send_failures = 0;
};

// Datagrams the loop delivered to the connection's reader and the application has not taken
// yet. Each side adds unit(bytes) per datagram to its own counter, so their difference packs
// (datagrams << 40) + bytes; it stays exact when the counters wrap, as long as fewer than 2^24
// datagrams and 2^40 bytes are outstanding at once.
struct InputAccount {
  static constexpr uint64_t unit(size_t bytes) { return (uint64_t{1} << 40) + bytes; }
  static uint64_t datagrams(uint64_t packed) { return packed >> 40; }
  static uint64_t bytes(uint64_t packed) { return packed & ((uint64_t{1} << 40) - 1); }
  uint64_t outstanding() const {
    return delivered.load(std::memory_order_acquire) - consumed.load(std::memory_order_acquire);
  }

  std::atomic<uint64_t> delivered{0};  // the owning loop, before it pushes
  std::atomic<uint64_t> consumed{0};   // the threads that take the datagrams
  // The loop stopped reading the connection because `outstanding` passed the reader's budget;
  // the consumer that brings it back under half the budget clears it and syncs the loop.
  std::atomic<bool> paused{false};
};

struct ConnectionCore;
// A strong reference to a connection, as the engine keeps one (in queues, requests, its
// registry): it shares the ownership of the application's handle.
using ConnectionRef = std::shared_ptr<ConnectionCore>;

struct ConnectionCore {
  ConnectionCore(const std::shared_ptr<Engine> &engine_, int fd_, ChannelKind kind_, uint32_t loop_,
                 const SocketAddress &address_)
      : owner(engine_.get()),
        kind(kind_),
        loop_index(loop_),
        fd(fd_),
        engine(engine_),
        address(address_),
        udp(kind_ == ChannelKind::datagram ? std::make_unique<DatagramOutput>() : nullptr) {}

  // A reference to this core, sharing its handle's ownership. The caller holds one already
  // (std::bad_weak_ptr otherwise). Defined by the public layer (connection.cpp). Any thread.
  ConnectionRef ref() const;
  // collect-tcp, under `output_lock`: the settings (made on first use); whether a send of
  // `bytes` is held; how much of `pending` the loop may take now (all of it once `closing`);
  // the loop took every held byte.
  CollectTcp &collect_settings() {
    if (!collect) collect = std::make_unique<CollectTcp>();
    return *collect;
  }
  bool collect_holds(size_t bytes) { return collect && collect->on_send(bytes); }
  size_t output_ready(bool closing) const { return collect ? collect->ready(pending.size(), closing) : pending.size(); }
  void collect_released() {
    if (collect) collect->held = 0;
  }
  // Whether send() queued output the loop has not taken yet. Under `output_lock`.
  bool output_queued() const { return !pending.empty() || (udp && !udp->queued.empty()); }
  // Bytes send() accepted that the kernel has not taken yet. Any thread.
  size_t queued_bytes() const {
    const uint64_t settled = bytes_settled.load(std::memory_order_relaxed);
    const uint64_t out = bytes_out.load(std::memory_order_relaxed);
    return out > settled ? static_cast<size_t>(out - settled) : 0;
  }

  // --- What every send() reads and writes, and get_data() reads, first. ------------------------
  const Engine *const owner;  // identity of the engine, for checks on the hot path
  // The application's handle that owns this core; set once by wrap_in_handle, before the core
  // is shared.
  Connection *handle = nullptr;
  const ChannelKind kind;
  std::atomic<bool> close_requested{false};
  // Output and requests, under `output_lock` (also held while the loop retires `fd`, against
  // setsockopt on a reused descriptor).
  SpinLock output_lock;
  bool sync_queued = false;     // the loop was asked to look at it and has not taken `pending` yet
  bool kill_requested = false;  // slow consumer: close at once, discarding output
  // Polled streams: the loop's write count (EventLoop::write_epoch) when send() last set
  // `sync_queued`; while it is current, the output waits for the loop's next write, which a
  // send made while nothing waits to be read joins (EventLoop::write_rule).
  std::atomic<uint32_t> marked_epoch{0};
  const uint32_t loop_index;    // the loop that owns it, for life
  // What `pending` first reserves once the loop has freed it: what the last write held, so
  // a burst of sends grows it once (EventLoop::take_pending).
  uint32_t pending_hint = 0;
  std::atomic<int> fd;          // -1 once closed (set under `output_lock` before the close)
  ByteBuffer pending;           // framed TCP bytes, in send order
  // collect-tcp, made by the first collect-tcp setting (none: off, as most connections are).
  std::unique_ptr<CollectTcp> collect;
  // Output accounting, with no locked instruction: writers add what send() accepted (under
  // `output_lock`, so each add is a plain load and store), the owning loop adds what the kernel
  // took or what was discarded (bytes_settled, below). The difference is what is still queued.
  std::atomic<uint64_t> datagrams_out{0};  // accepted by send(), with their framed bytes
  std::atomic<uint64_t> bytes_out{0};
  // The high-water mark of the writer that last sent to it: the loop stops reading a stream
  // whose queued output reached it (EventLoop::check_output_pressure).
  std::atomic<size_t> output_high_water{kDefaultOutputHighWater};

  // --- Set once, or rarely touched; between what send() writes and what the loop writes per
  // batch, so the two do not share a cache line. ----------------------------------------------
  const std::weak_ptr<Engine> engine;
  const SocketAddress address;  // peer (stream) or local (listener, UDP)
  std::atomic<bool> reset_reported{false};
  std::atomic<bool> attached{false};  // to a reader or a listener: a connection feeds at most one
  // Where the engine's registry and its reader's or listener's member set keep it (each
  // written under that owner's lock; atomic because other owners' checks read them too).
  std::atomic<uint32_t> registry_slot{0};
  std::atomic<uint32_t> member_slot{0};
  // Who gets what the loop reads, under `member_lock`. The loop holds it while it pushes a
  // batch, so once remove_connection() has cleared `reader`, nothing more reaches that reader.
  SpinLock member_lock;
  std::shared_ptr<ReaderCore> reader;
  std::shared_ptr<ListenerCore> listener;
  const std::unique_ptr<DatagramOutput> udp;  // datagram connections only

  // --- Input and the loop's counters: the loop writes them once per batch or write, the
  // threads that take the datagrams write `input.consumed` once per run of one connection's
  // datagrams; send() reads `bytes_settled`, get_statistics() all of them.
  InputAccount input;
  std::atomic<uint64_t> bytes_settled{0};  // written to the kernel, or discarded
  std::atomic<uint64_t> datagrams_in{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> datagrams_dropped{0};

  // --- The owning loop's own part of the record (its thread only). ----------------------------
  Channel channel;
};
// An idle connection costs this record, its handle and a few table entries (bench/idle_memory.sh).
static_assert(sizeof(ConnectionCore) <= 440, "a connection's record, its channel included, stays within 440 bytes");

// Defined by the public layer (connection.cpp): wraps a new core in the application's handle
// and returns the engine's reference to it.
ConnectionRef wrap_in_handle(std::unique_ptr<ConnectionCore> core);

}  // namespace queuednet::detail
