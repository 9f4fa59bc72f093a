// peer-asio-echo: a TCP echo server written on standalone Asio the way Asio's own
// async_tcp_echo_server example writes one, so the benchmarks can compare queuednet with the
// server a user would write instead. One io_context per thread, each with its own
// SO_REUSEPORT acceptor on the same port; a session object per connection reads with
// async_read_some and writes back what it read with async_write, kept alive by
// shared_from_this. Every byte read is written back (a framed echo is the same bytes).
//
//   peer-asio-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS]
//
// Prints "listening on HOST:PORT backend=asio threads=N" and a summary on exit.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli_args.h"
#include "fd_limit.h"
#include "server_options.h"

namespace {

constexpr const char *kProgram = "peer-asio-echo";
constexpr const char *kUsage =
    "usage: peer-asio-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS]\n"
    "Echoes every byte it reads on TCP with Asio: N threads, each an io_context with its own\n"
    "SO_REUSEPORT acceptor, a session per connection (async_read_some, then async_write).\n";

using asio::ip::tcp;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// One connection: reads into its buffer, writes back what it read, reads again.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, uint64_t &bytes) : socket_(std::move(socket)), bytes_(bytes) {}

  void start() { do_read(); }

 private:
  void do_read() {
    auto self(shared_from_this());
    socket_.async_read_some(asio::buffer(data_), [this, self](std::error_code ec, std::size_t length) {
      if (ec) return;
      bytes_ += length;
      do_write(length);
    });
  }

  void do_write(std::size_t length) {
    auto self(shared_from_this());
    asio::async_write(socket_, asio::buffer(data_, length), [this, self](std::error_code ec, std::size_t) {
      if (!ec) do_read();
    });
  }

  tcp::socket socket_;
  uint64_t &bytes_;               // the thread's received-byte count
  std::array<char, 65536> data_;  // as much as baseline-epoll-echo reads at once
};

// One thread's io_context and acceptor, and what it counted (read after the thread ends).
class Server {
 public:
  explicit Server(const tcp::endpoint &endpoint) : acceptor_(io_) {
    std::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.set_option(reuse_port(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(4096, ec);
    if (ec) {
      std::fprintf(stderr, "%s: bind/listen %s:%d: %s\n", kProgram, endpoint.address().to_string().c_str(),
                   endpoint.port(), ec.message().c_str());
      std::exit(1);
    }
    do_accept();
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  void run() { io_.run(); }
  void stop() { io_.stop(); }
  uint64_t bytes() const { return bytes_; }
  uint64_t accepted() const { return accepted_; }

 private:
  void do_accept() {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        ++accepted_;
        std::make_shared<Session>(std::move(socket), bytes_)->start();
      }
      do_accept();
    });
  }

  asio::io_context io_{1};  // run by one thread
  tcp::acceptor acceptor_;
  uint64_t bytes_ = 0, accepted_ = 0;
};

}  // namespace

int main(int argc, char **argv) {
  bench::Args args(argc, argv, kProgram, kUsage);
  const bench::ServerOptions o = bench::parse_server_options(args);
  std::error_code ec;
  const asio::ip::address address = asio::ip::make_address(o.host, ec);
  if (ec) args.fail("--host: '" + o.host + "' is not a numeric IPv4 or IPv6 address");
  int port = o.port;
  bench::raise_fd_limit();

  // SIGINT, SIGTERM and the end of --duration stop every server's io_context.
  asio::io_context control;
  asio::signal_set signals(control, SIGINT, SIGTERM);
  asio::steady_timer deadline(control);

  std::vector<std::unique_ptr<Server>> servers;
  servers.push_back(std::make_unique<Server>(tcp::endpoint(address, static_cast<unsigned short>(port))));
  port = servers[0]->port();
  for (int i = 1; i < o.threads; ++i) {
    servers.push_back(std::make_unique<Server>(tcp::endpoint(address, static_cast<unsigned short>(port))));
  }
  auto stop_all = [&] {
    signals.cancel();
    deadline.cancel();
    for (auto &s : servers) s->stop();
  };
  signals.async_wait([&](std::error_code e, int) {
    if (!e) stop_all();
  });
  if (o.duration > 0) {
    deadline.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(o.duration)));
    deadline.async_wait([&](std::error_code e) {
      if (!e) stop_all();
    });
  }
  std::printf("listening on %s:%d backend=asio threads=%d\n", o.host.c_str(), port, o.threads);
  std::fflush(stdout);

  std::vector<std::thread> workers;
  for (auto &s : servers) workers.emplace_back([&server = *s] { server.run(); });
  control.run();
  for (auto &w : workers) w.join();
  uint64_t bytes = 0, accepted = 0;
  for (const auto &s : servers) {
    bytes += s->bytes();
    accepted += s->accepted();
  }
  std::printf("summary: connections=%llu bytes=%llu\n", static_cast<unsigned long long>(accepted),
              static_cast<unsigned long long>(bytes));
  return 0;
}
