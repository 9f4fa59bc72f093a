// Test support implementation.
#include "support/test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace qt {

std::string check_each_once_in_order(const std::vector<std::vector<std::vector<uint32_t>>> &seen, size_t each) {
  const size_t connections = seen.empty() ? 0 : seen[0].size();
  for (size_t c = 0; c < connections; ++c) {
    std::vector<uint32_t> all;
    for (size_t t = 0; t < seen.size(); ++t) {
      const std::vector<uint32_t> &mine = seen[t][c];
      if (!std::is_sorted(mine.begin(), mine.end())) {
        return "consumer " + std::to_string(t) + " saw connection " + std::to_string(c) + " out of order";
      }
      all.insert(all.end(), mine.begin(), mine.end());
    }
    std::sort(all.begin(), all.end());
    if (all.size() != each) {
      return "connection " + std::to_string(c) + ": " + std::to_string(all.size()) + " taken, not " +
             std::to_string(each);
    }
    for (uint32_t s = 0; s < each; ++s) {
      if (all[s] != s) return "connection " + std::to_string(c) + ": datagram " + std::to_string(s) + " lost or repeated";
    }
  }
  return "";
}

int test_threads() {
  const char *v = std::getenv("QUEUEDNET_TEST_THREADS");
  return v == nullptr ? 0 : std::atoi(v);
}

std::unique_ptr<queuednet::QueuedConnectionManager> make_manager() {
  return std::make_unique<queuednet::QueuedConnectionManager>(test_threads());
}

bool eventually(const std::function<bool()> &condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::yield();
  }
  return true;
}

uint16_t listen_local(queuednet::ConnectionManager &m, std::shared_ptr<queuednet::Connection> &rendezvous) {
  queuednet::NetAddress addr;
  addr.set_host("127.0.0.1", 0);
  rendezvous = m.open_TCP_server_rendezvous(addr, 1024);
  if (!rendezvous) throw std::runtime_error("listen_local: " + queuednet::last_error().message);
  return static_cast<uint16_t>(rendezvous->get_address().get_port());
}

RawClient::RawClient(uint16_t port, const char *host) {
  const bool v6 = std::string(host).find(':') != std::string::npos;
  fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  connect_fd(host, port);
}

std::unique_ptr<RawClient> RawClient::connect_socket(int socket_fd, uint16_t port) {
  std::unique_ptr<RawClient> client(new RawClient());
  client->fd_ = socket_fd;
  client->connect_fd("127.0.0.1", port);
  return client;
}

void RawClient::connect_fd(const char *host, uint16_t port) {
  int rc;
  if (std::string(host).find(':') != std::string::npos) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    ::inet_pton(AF_INET6, host, &a.sin6_addr);
    rc = ::connect(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, host, &a.sin_addr);
    rc = ::connect(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a);
  }
  if (rc != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

RawClient::~RawClient() { close(); }

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawClient::send_all(const std::string &bytes) {
  size_t off = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, 10);
  }
  return true;
}

bool RawClient::read_available() {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      received_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      peer_closed_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    peer_closed_ = true;
    return false;
  }
}

bool RawClient::wait_for_bytes(size_t size, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const bool open = read_available();
    if (received_.size() >= size) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!open || left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
}

std::vector<int> open_descriptors() {
  std::vector<int> fds;
  DIR *dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int own = ::dirfd(dir);
  while (dirent *e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const int fd = std::atoi(e->d_name);
    if (fd != own) fds.push_back(fd);
  }
  ::closedir(dir);
  return fds;
}

DescriptorLimit::DescriptorLimit(size_t more) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  saved_soft_ = lim.rlim_cur;
  // The limit bounds descriptor numbers: find the one below which exactly `more` are free.
  std::vector<int> open = open_descriptors();
  std::sort(open.begin(), open.end());
  size_t limit = 0, free_below = 0, used = 0;
  while (free_below < more || (used < open.size() && static_cast<size_t>(open[used]) == limit)) {
    if (used < open.size() && static_cast<size_t>(open[used]) == limit) {
      ++used;
    } else {
      ++free_below;
    }
    ++limit;
  }
  lim.rlim_cur = limit;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) throw std::runtime_error("DescriptorLimit: setrlimit failed");
}

DescriptorLimit::~DescriptorLimit() {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = saved_soft_;
  ::setrlimit(RLIMIT_NOFILE, &lim);
}

std::string frame2(const std::string &payload) {
  std::string out;
  out.push_back(static_cast<char>(payload.size() & 0xff));
  out.push_back(static_cast<char>((payload.size() >> 8) & 0xff));
  return out + payload;
}

std::string frame4(const std::string &payload) {
  std::string out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xff));
  return out + payload;
}

std::string pattern(size_t size, unsigned seed) {
  std::string s(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

}  // namespace qt

namespace qt {

Server::Server()
    : manager(make_manager()), listener(manager.get(), 0), reader(manager.get(), 0), writer(manager.get(), 0) {
  port = listen_local(*manager, rendezvous);
  listener.add_connection(rendezvous);
}

std::shared_ptr<queuednet::Connection> Server::accept_one() {
  std::shared_ptr<queuednet::Connection> c;
  if (!eventually([&] { return listener.new_connection_available() && listener.get_new_connection(c); })) return nullptr;
  reader.add_connection(c);
  return c;
}

std::vector<std::shared_ptr<queuednet::Connection>> Server::accept_n(size_t n) {
  std::vector<std::shared_ptr<queuednet::Connection>> out;
  eventually([&] {
    std::shared_ptr<queuednet::Connection> c;
    while (out.size() < n && listener.new_connection_available() && listener.get_new_connection(c)) {
      reader.add_connection(c);
      out.push_back(c);
    }
    return out.size() == n;
  });
  return out;
}

bool Server::next(queuednet::NetDatagram &out, std::chrono::milliseconds timeout) {
  return eventually([&] { return reader.data_available() && reader.get_data(out); }, timeout);
}

size_t Server::echo_available() {
  size_t n = 0;
  queuednet::NetDatagram dg;
  while (reader.data_available() && reader.get_data(dg)) {
    writer.send(dg, dg.get_connection(), true);
    ++n;
  }
  return n;
}

bool Server::echo_until_received(std::vector<std::unique_ptr<RawClient>> &clients, const std::vector<std::string> &want,
                                 std::chrono::milliseconds timeout) {
  size_t done = 0;
  std::vector<bool> complete(clients.size(), false);
  return eventually([&] {
    echo_available();
    for (size_t i = 0; i < clients.size(); ++i) {
      if (complete[i]) continue;
      clients[i]->read_available();
      if (clients[i]->received().size() >= want[i].size()) {
        complete[i] = true;
        ++done;
      }
    }
    return done == clients.size();
  }, timeout);
}

Client::Client(uint16_t port) : manager(make_manager()), reader(manager.get(), 0), writer(manager.get(), 0) {
  connection = manager->open_TCP_client_connection("127.0.0.1", port, 5000);
  if (connection) reader.add_connection(connection);
}

bool Client::next(queuednet::NetDatagram &out, std::chrono::milliseconds timeout) {
  return eventually([&] { return reader.data_available() && reader.get_data(out); }, timeout);
}

}  // namespace qt
