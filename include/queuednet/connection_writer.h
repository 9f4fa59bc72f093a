/// @file
/// Public header. ConnectionWriter: frames datagrams and hands them to the loop that owns the
/// connection (Panda3D's ConnectionWriter).
///
/// send() never blocks and never makes the caller wait for a slow peer. It appends the framed
/// datagram to the connection's output (one short lock) and marks the connection for writing.
/// When the bytes go out is one rule, the same for every backend:
///   Every byte a send() accepted reaches the kernel when the application goes idle, or soon
///   after on its own (a held burst, below). The loop
///   writes each marked connection with one system call (or one io_uring SQE), so the answers
///   an application gives within one drain (taking the queued datagrams and answering them)
///   leave together.
///   - Polled mode: a send() made while no datagram waits in a reader queue (nothing is waiting
///     to be read) is written before it returns, with two exceptions. A send to a connection
///     whose output already waits (answers held for the end of a drain, or a burst's), under
///     64 KiB in all, joins it: answering a drain's last datagram to connections answered
///     earlier in the drain writes each once, later. And a burst: a send that follows, within 50 µs, a send the
///     same thread had written at once, with no call in between that writes, is held (a burst
///     costs two writes per connection: its first send, then the rest together). Held output waits at
///     the latest until data_available(), new_connection_available() or
///     reset_connection_available() returns false, get_data() finds nothing, poll() or a
///     wait_*() call starts waiting; flush() and close write their own connection. A
///     connection holding 256 KiB or more is written at once, and once a drain's sends reach
///     256 KiB every connection they went to is written (a server behind its clients, whose
///     queue never empties, still answers in batches). Held sends never depend on a later
///     call: if the application makes none, the manager's late writer, a thread started at
///     the first held send, writes them within about a millisecond (it takes the
///     loop's turn for a moment; a call that finds it there waits for it). What the socket
///     cannot take yet then waits for the application's turns, as any polled output does.
///   - Threaded mode: no system call on the caller's thread but an occasional wake-up: the
///     connection's worker writes at the end of its current turn, woken when the application
///     has taken every datagram of that connection, or goes idle (a *_available() returning
///     false, get_data() finding nothing, a wait_*() call).
/// Each datagram is written whole, in send order per connection. collect-tcp (Connection)
/// holds small sends longer on purpose.
///
/// Output limits per connection: past the high-water mark (set_max_queue_size, in bytes) send
/// returns false with errc::output_buffer_full and queues nothing. send(..., block=true) queues
/// past the high-water mark (it still never waits); past the hard limit the connection is
/// closed as a slow consumer (logged once) and a reset is reported.
///
/// Errors: false with the reason in last_error(). In polled mode a send() whose own write fails
/// returns false (errc::connection_closed) and the reset is reported once; a send that is held
/// (mid-drain, joining output that waits, or in a burst) and a threaded send() cannot see a later write failure, which is
/// reported as a reset only (a refused UDP packet is counted, see ConnectionStatistics).
///
/// num_threads has the same meaning as for ConnectionReader (see connection_reader.h).
/// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <span>

#include "queuednet/connection.h"
#include "queuednet/datagram.h"
#include "queuednet/net_address.h"

namespace queuednet {

class ConnectionManager;
namespace detail {
class Engine;
struct ConnectionCore;
struct FrameConfig;
}  // namespace detail

class ConnectionWriter {
 public:
  static constexpr size_t kDefaultMaxQueueBytes = 4u << 20;   ///< high-water mark per connection
  static constexpr size_t kDefaultHardLimitBytes = 64u << 20;  ///< slow-consumer limit

  ConnectionWriter(ConnectionManager *manager, int num_threads);
  ConnectionWriter(const ConnectionWriter &) = delete;
  ConnectionWriter &operator=(const ConnectionWriter &) = delete;
  ~ConnectionWriter();

  /// TCP: frames `datagram` with this writer's header and queues it. False (reason in
  /// last_error) when the connection is null, not a TCP stream, closed, the datagram is larger
  /// than the header can announce, the output buffer is past its high-water mark (unless
  /// block), or the writer is shut down.
  bool send(const Datagram &datagram, const std::shared_ptr<Connection> &connection, bool block = false);
  /// UDP: one packet to `address` (checksum header unless raw). Payloads the UDP protocol
  /// cannot carry (over 65507 bytes with the header) are refused. Otherwise as above.
  bool send(const Datagram &datagram, const std::shared_ptr<Connection> &connection, const NetAddress &address,
            bool block = false);
  /// queuednet: one datagram of a batch send: `size` bytes at `data`, for `*connection`.
  struct Outgoing {
    const void *data;
    size_t size;
    const std::shared_ptr<Connection> *connection;
  };
  /// queuednet: sends each TCP datagram of `batch` to its connection as send() would, one
  /// after the other (same checks, same order per connection), but applies the write rule once
  /// for the whole batch: in polled mode the batch's output is written after its last datagram
  /// is queued (one system call per connection, none if datagrams still wait to be read), not
  /// as each is queued. Returns how many were accepted; one refused (reason in last_error)
  /// does not stop the others.
  size_t send_batch(std::span<const Outgoing> batch, bool block = false);
  /// Panda3D's check: payload of at most 1500 bytes (larger packets still go out from send).
  bool is_valid_for_udp(const Datagram &datagram) const;

  ConnectionManager *get_manager() const;
  /// True in polled mode: sends are written on the caller's thread (a burst's held tail may be
  /// written by the late writer; see the rule above).
  bool is_immediate() const;
  int get_num_threads() const;

  void set_raw_mode(bool mode);
  bool get_raw_mode() const;
  /// 0, 2 (default) or 4; other values are refused (false, last_error).
  bool set_tcp_header_size(int size);
  int get_tcp_header_size() const;

  /// High-water mark in bytes per connection (Panda3D counts datagrams in a shared queue;
  /// queuednet has one output buffer per connection). Default 4 MiB.
  void set_max_queue_size(size_t max_bytes);
  size_t get_max_queue_size() const;
  /// Bytes accepted by writers and not yet taken by the kernel, over every connection of the
  /// manager, as far as the loops have seen them: a loop sees a send() when it next writes
  /// that connection (before send() returns in polled mode when nothing waits to be read and
  /// the send is not held, otherwise when it is written; every turn while the connection's
  /// socket is full). Connection::get_pending_output() is exact at once. Any thread.
  size_t get_current_queue_size() const;
  /// queuednet: output past this many bytes closes the connection as a slow consumer. 64 MiB.
  void set_hard_limit(size_t max_bytes);
  size_t get_hard_limit() const;

  /// Later sends return false. What was already queued is still written (Panda3D discards it).
  void shutdown();

 private:
  // Whether `connection` can be written by this writer; false with last_error() set if not.
  bool check_connection(const std::shared_ptr<Connection> &connection, Connection::Kind kind, const char *what);
  [[gnu::cold]] bool reject_connection(const std::shared_ptr<Connection> &connection, Connection::Kind kind,
                                       const char *what);
  // send()'s TCP body: frames `size` bytes at `data` and queues them.
  bool send_tcp(const unsigned char *data, size_t size, const std::shared_ptr<Connection> &connection, bool block);
  // Tells the owning loop that `bytes` were queued; false if the connection was killed or its
  // write failed.
  bool hand_over(const std::shared_ptr<Connection> &connection, bool need_sync, bool killed, size_t bytes,
                 const char *what);
  [[gnu::cold]] static void write_failed(detail::ConnectionCore &core, const char *what);
  [[gnu::cold]] static bool too_large(size_t size, const detail::FrameConfig &config);

  std::shared_ptr<detail::Engine> engine_;
  std::atomic<int> header_size_;
  std::atomic<bool> raw_{false};
  std::atomic<size_t> max_queue_bytes_{kDefaultMaxQueueBytes};
  std::atomic<size_t> hard_limit_bytes_{kDefaultHardLimitBytes};
  std::atomic<bool> shut_down_{false};
};

}  // namespace queuednet
