// Internal. The small interface an event loop needs from the kernel. One implementation per
// folder: io_uring/, epoll/, poll/. Chosen at run time by backend_factory.
//
// Channels are named by a 64-bit id chosen by the loop. The loop registers each socket once
// (add), turns reading/accepting on and off, sends stream bytes, and removes the socket before
// closing it. wait() reports what happened through BackendEvents, on the loop's thread.
// Thread contract: every method is loop-thread only, except wake() (any thread).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "queuednet/backend_kind.h"

namespace queuednet::detail {

enum class ChannelKind : uint8_t { listener, stream, datagram };

// send() result meaning "submitted; on_send_complete will report".
inline constexpr ssize_t kSendPending = -1000000;

class BackendEvents {
 public:
  virtual ~BackendEvents() = default;
  // A listener accepted `fd` (non-blocking, close-on-exec). The loop owns it.
  virtual void on_accept(uint64_t id, int fd) = 0;
  // Bytes read: a stream chunk (from == nullptr), or one datagram with its sender.
  virtual void on_data(uint64_t id, const unsigned char *data, size_t size, const sockaddr *from,
                       socklen_t from_len) = 0;
  // The read side ended: 0 = orderly EOF, otherwise an errno value. For listeners, a fatal
  // accept error. No more reads are reported for this id.
  virtual void on_read_closed(uint64_t id, int error) = 0;
  // Readiness backends: a stream that returned -EAGAIN from send() can take bytes again.
  virtual void on_writable(uint64_t id) = 0;
  // Completion backends: a kSendPending send finished with `result` bytes or -errno. Reported
  // even after remove(), so the loop knows when the kernel no longer reads the buffer.
  virtual void on_send_complete(uint64_t id, ssize_t result) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendKind kind() const = 0;
  // Registers a socket. Nothing is read until set_reading(true).
  virtual void add(uint64_t id, int fd, ChannelKind kind) = 0;
  // Starts (true) or stops (false) receiving or accepting on a registered socket.
  virtual void set_reading(uint64_t id, int fd, ChannelKind kind, bool on) = 0;
  // Stream send of data[0..size). Returns bytes written now, kSendPending (the buffer must stay
  // valid until on_send_complete), -EAGAIN (wait for on_writable), or another -errno.
  virtual ssize_t send(uint64_t id, int fd, const unsigned char *data, size_t size) = 0;
  // Readiness backends that are level-triggered need to know when output waits.
  virtual void want_writable(uint64_t id, int fd, bool on) = 0;
  // Stops every event for the socket; the loop closes fd afterwards.
  virtual void remove(uint64_t id, int fd) = 0;
  // Waits up to timeout_ms (0 = do not block, -1 = forever) and reports events.
  virtual void wait(int timeout_ms, BackendEvents &events) = 0;
  // Makes a concurrent or next wait() return. Any thread.
  virtual void wake() = 0;
  // Hands requests queued since the last wait() to the kernel now. Completion backends batch
  // submissions until wait(); the polled loop calls this after work done outside a turn, so a
  // send() in polled mode reaches the kernel before it returns.
  virtual void submit() {}
};

// Creates the requested backend; `automatic` probes io_uring → epoll → poll (QUEUEDNET_BACKEND
// overrides it) and logs one line saying why a backend was skipped. Returns nullptr with
// *error set when a forced backend cannot start.
std::unique_ptr<Backend> make_backend(BackendKind requested, std::string *error);

std::unique_ptr<Backend> make_epoll_backend(std::string *error);
std::unique_ptr<Backend> make_poll_backend(std::string *error);
std::unique_ptr<Backend> make_io_uring_backend(std::string *error);

}  // namespace queuednet::detail
