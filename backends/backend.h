// Internal. The small interface an event loop needs from the kernel. One implementation per
// folder: io_uring/, epoll/, poll/. Chosen at run time by backend_factory.
//
// Channels are named by a 64-bit id chosen by the loop (never 0). The loop registers each
// socket once (add), turns reading/accepting on and off, sends stream bytes and UDP packets,
// and removes the socket before closing it. wait() reports what happened through
// BackendEvents, on the loop's thread.
// Thread contract: every method is loop-thread only, except wake() (any thread).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace queuednet::detail {

// In the order of the public Connection::Kind, so the public layer converts with a cast.
enum class ChannelKind : uint8_t { stream, listener, datagram };

// Which kernel interface (the public BackendKind mirrors it, enumerator for enumerator).
enum class BackendId : uint8_t { automatic, io_uring, epoll, poll };
// "auto", "io_uring", "epoll", "poll", and back (nullopt for anything else).
std::string_view backend_name(BackendId id) noexcept;
std::optional<BackendId> parse_backend_name(std::string_view name) noexcept;

// send() result meaning "submitted; on_send_complete will report".
inline constexpr ssize_t kSendPending = -1000000;

class BackendEvents {
 public:
  virtual ~BackendEvents() = default;
  // A listener accepted `fd` (non-blocking, close-on-exec). The loop owns it. Returns false
  // when the loop stopped accepting on `id`: the backend accepts nothing more for it until
  // set_reading(id, true).
  virtual bool on_accept(uint64_t id, int fd) = 0;
  // Accepting failed for lack of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM). The
  // pending connections stay in the kernel's queue; the backend stops accepting on `id` until
  // set_reading(id, true).
  virtual void on_accept_refused(uint64_t id, int error) = 0;
  // Bytes read: a stream chunk (from == nullptr), or one datagram with its sender. Returns
  // false when the loop no longer reads `id` (closed, paused or detached from its reader): the
  // backend must not read it again until set_reading(id, true).
  virtual bool on_data(uint64_t id, const unsigned char *data, size_t size, const sockaddr *from,
                       socklen_t from_len) = 0;
  // The read side ended: 0 = orderly EOF, otherwise an errno value. For listeners, a fatal
  // accept error. No more reads are reported for this id.
  virtual void on_read_closed(uint64_t id, int error) = 0;
  // A socket whose send returned -EAGAIN (a stream, or UDP) can take bytes again.
  virtual void on_writable(uint64_t id) = 0;
  // Completion backends: a kSendPending send finished with `result` bytes or -errno. Reported
  // even after remove(), so the loop knows when the kernel no longer reads the buffer.
  virtual void on_send_complete(uint64_t id, ssize_t result) = 0;
};

// How a backend will be driven.
struct BackendOptions {
  // Only the thread that creates the backend will call it (a worker): io_uring may then defer
  // completion work to that thread (SINGLE_ISSUER | DEFER_TASKRUN).
  bool single_thread = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendId kind() const = 0;
  // Registers a socket. Nothing is read until set_reading(true).
  virtual void add(uint64_t id, int fd, ChannelKind kind) = 0;
  // Starts (true) or stops (false) receiving or accepting on a registered socket. Turning it
  // on again also makes the backend look at the socket in the next wait(), since data or
  // connections may have arrived while it was off.
  virtual void set_reading(uint64_t id, bool on) = 0;
  // Stream send of data[0..size). Returns bytes written now, kSendPending (the buffer must stay
  // valid until on_send_complete), -EAGAIN (wait for on_writable), or another -errno.
  virtual ssize_t send(uint64_t id, int fd, const unsigned char *data, size_t size) = 0;
  // Readiness backends that are level-triggered need to know when output waits.
  virtual void want_writable(uint64_t id, bool on) = 0;
  // Stops every event for the socket; the loop closes fd right after.
  virtual void remove(uint64_t id, int fd) = 0;
  // Hands queued requests to the kernel and waits up to timeout_ms (0 = do not block, -1 =
  // forever) for events, which it reports. A zero timeout still collects what completed.
  virtual void wait(int timeout_ms, BackendEvents &events) = 0;
  // Hands queued requests (sends) to the kernel now. Completion backends batch requests until
  // wait(); a polled loop that writes outside a turn calls this so the bytes reach the kernel
  // before send() returns. Sends that complete at once are reported (on_send_complete), so
  // output queued behind them goes out too; every other event waits for the next wait().
  virtual void submit(BackendEvents &) {}
  // Loop thread, once the loop has removed its last socket and will not wait again (a worker
  // thread then ends): lets the kernel finish what remove() cancelled and reports it, so no
  // removed socket stays open behind a request. io_uring worker rings only.
  virtual void quiesce(BackendEvents &) {}
  // Makes a concurrent or next wait() return. Any thread.
  virtual void wake() = 0;
  // A descriptor that is readable while wait() would find kernel events (an epoll set, an
  // io_uring ring), for a foreign event loop to wait on; -1 when the backend has none (poll).
  // Any thread.
  virtual int pollable_fd() const { return -1; }
  // Whether the next wait() has work in hand that no kernel event will announce (sockets still
  // to be read, completions held back, requests not submitted). Loop thread.
  virtual bool has_buffered_work() const { return false; }
};

// Creates the requested backend; `automatic` probes io_uring → epoll → poll (QUEUEDNET_BACKEND
// overrides it) and logs one line saying why a backend was skipped. Returns nullptr with
// *error set when a forced backend cannot start.
std::unique_ptr<Backend> make_backend(BackendId requested, const BackendOptions &options, std::string *error);

std::unique_ptr<Backend> make_epoll_backend(std::string *error);
std::unique_ptr<Backend> make_poll_backend(std::string *error);
std::unique_ptr<Backend> make_io_uring_backend(const BackendOptions &options, std::string *error);

}  // namespace queuednet::detail
