// Test support: bounded waiting on conditions, a raw wire-level TCP client, and managers built
// for the mode under test (QUEUEDNET_TEST_THREADS: 0 = polled, N = workers; the backend comes
// from QUEUEDNET_BACKEND as in production).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "queuednet/queuednet.h"

namespace qt {

using namespace std::chrono_literals;

// Worker threads for managers under test (env QUEUEDNET_TEST_THREADS, default 0).
int test_threads();
std::unique_ptr<queuednet::QueuedConnectionManager> make_manager();

// Calls `condition` (which may poll readers) until it returns true or `timeout` passes.
// Returns its last result. Yields between calls; never sleeps for a fixed time.
bool eventually(const std::function<bool()> &condition, std::chrono::milliseconds timeout = 20s);

// Numbered datagrams several consumers took, as seen[consumer][connection] = the numbers in
// the order that consumer took them. Empty if every connection's numbers 0..each-1 were each
// taken exactly once and every consumer saw each connection's in increasing order; otherwise
// the first thing that is wrong.
std::string check_each_once_in_order(const std::vector<std::vector<std::vector<uint32_t>>> &seen, size_t each);

// Opens a listening rendezvous on 127.0.0.1 with an ephemeral port; returns the port.
uint16_t listen_local(queuednet::ConnectionManager &m, std::shared_ptr<queuednet::Connection> &rendezvous);

// A client that speaks bytes only: knows nothing of queuednet.
class RawClient {
 public:
  explicit RawClient(uint16_t port, const char *host = "127.0.0.1");
  // Connects `socket_fd`, an IPv4 stream socket the caller created (to set options before the
  // handshake, or to hold a descriptor before RLIMIT_NOFILE is lowered), and takes ownership
  // of it. connected() is false if the connect failed.
  static std::unique_ptr<RawClient> connect_socket(int socket_fd, uint16_t port);
  ~RawClient();
  RawClient(const RawClient &) = delete;
  RawClient &operator=(const RawClient &) = delete;
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Writes every byte (waiting for socket space with poll(), bounded by 10 s).
  bool send_all(const std::string &bytes);
  // Appends whatever is readable now to received(); false once the peer closed.
  bool read_available();
  // Blocks on the socket (nothing else runs) until received() holds `size` bytes, the peer
  // closes, or `timeout` passes; true if it holds them.
  bool wait_for_bytes(size_t size, std::chrono::milliseconds timeout = 10s);
  std::string &received() { return received_; }
  bool peer_closed() const { return peer_closed_; }
  void close();

 private:
  RawClient() = default;
  void connect_fd(const char *host, uint16_t port);

  int fd_ = -1;
  std::string received_;
  bool peer_closed_ = false;
};

// Descriptors open in this process now.
std::vector<int> open_descriptors();

// Lowers RLIMIT_NOFILE so that exactly `more` further descriptors can be opened (the lowest
// free numbers are used first); restores the previous limit when destroyed.
class DescriptorLimit {
 public:
  explicit DescriptorLimit(size_t more);
  ~DescriptorLimit();
  DescriptorLimit(const DescriptorLimit &) = delete;
  DescriptorLimit &operator=(const DescriptorLimit &) = delete;

 private:
  unsigned long saved_soft_;
};

// Wire helpers.
std::string frame2(const std::string &payload);  // 2-byte little-endian length + payload
std::string frame4(const std::string &payload);
std::string pattern(size_t size, unsigned seed);  // deterministic bytes

}  // namespace qt

namespace qt {

// A server built the way the Panda3D manual builds one: manager, listener, reader, writer,
// a rendezvous on 127.0.0.1 with an ephemeral port.
struct Server {
  Server();
  // Waits for one new connection and adds it to the reader; nullptr on timeout.
  std::shared_ptr<queuednet::Connection> accept_one();
  // Waits for `n` new connections and adds them to the reader; returns them in accept order
  // (fewer on timeout).
  std::vector<std::shared_ptr<queuednet::Connection>> accept_n(size_t n);
  // Waits for the next datagram; false on timeout.
  bool next(queuednet::NetDatagram &out, std::chrono::milliseconds timeout = 20s);
  // Echoes every queued datagram to the connection it came from; returns how many.
  size_t echo_available();
  // Keeps echoing until every client has received as many bytes as `want` holds for it.
  bool echo_until_received(std::vector<std::unique_ptr<RawClient>> &clients, const std::vector<std::string> &want,
                           std::chrono::milliseconds timeout);

  std::unique_ptr<queuednet::QueuedConnectionManager> manager;
  queuednet::QueuedConnectionListener listener;
  queuednet::QueuedConnectionReader reader;
  queuednet::ConnectionWriter writer;
  std::shared_ptr<queuednet::Connection> rendezvous;
  uint16_t port = 0;
};

// A queuednet client: its own manager, reader and writer, connected to a port on 127.0.0.1.
struct Client {
  explicit Client(uint16_t port);
  bool next(queuednet::NetDatagram &out, std::chrono::milliseconds timeout = 20s);

  std::unique_ptr<queuednet::QueuedConnectionManager> manager;
  queuednet::QueuedConnectionReader reader;
  queuednet::ConnectionWriter writer;
  std::shared_ptr<queuednet::Connection> connection;
};

}  // namespace qt
