// peer-libuv-echo: a TCP echo server written on libuv the way libuv's own uv_tcp echo
// examples write one, so the benchmarks can compare queuednet with the server a user would
// write instead. One uv_loop per thread, each with its own SO_REUSEPORT listener on the same
// port (the socket is made here, then handed over with uv_tcp_open); uv_listen ->
// on_new_connection -> uv_accept -> uv_read_start. It reads into one buffer per loop and writes
// each read back with uv_try_write, queueing only what the socket did not take with uv_write (a
// copy owned by the write request), as libuv's heavy users (Node.js's streams) do: the plain
// example style, a heap buffer per read and a uv_write each, costs about 1.3x more CPU per
// message here, most of it an epoll_ctl per completed write. Every byte read is written back (a
// framed echo is the same bytes).
//
//   peer-libuv-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS]
//
// Prints "listening on HOST:PORT backend=libuv threads=N" and a summary on exit.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli_args.h"
#include "fd_limit.h"
#include "server_options.h"

namespace {

constexpr const char *kProgram = "peer-libuv-echo";
constexpr const char *kUsage =
    "usage: peer-libuv-echo --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS]\n"
    "Echoes every byte it reads on TCP with libuv: N threads, each a uv_loop with its own\n"
    "SO_REUSEPORT listener; every read is written back with uv_try_write, the rest with uv_write.\n";

// One thread's loop and listener, and what it counted (read after the thread ends).
struct Server {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_async_t stop;  // closes every handle, which ends uv_run
  uint64_t bytes = 0, accepted = 0;
  char read_buffer[65536];  // every read of this loop lands here; on_read consumes it at once
};

Server &server_of(uv_handle_t *handle) { return *static_cast<Server *>(handle->loop->data); }

// A write of what uv_try_write left of one read; owns its copy of those bytes.
struct WriteRequest {
  uv_write_t req;
  uv_buf_t buf;
};

void free_connection(uv_handle_t *handle) { delete reinterpret_cast<uv_tcp_t *>(handle); }

void close_connection(uv_stream_t *stream) {
  if (!uv_is_closing(reinterpret_cast<uv_handle_t *>(stream))) {
    uv_close(reinterpret_cast<uv_handle_t *>(stream), free_connection);
  }
}

void alloc_buffer(uv_handle_t *handle, size_t, uv_buf_t *buf) {
  Server &server = server_of(handle);
  *buf = uv_buf_init(server.read_buffer, sizeof server.read_buffer);
}

void on_write(uv_write_t *req, int status) {
  auto *write = reinterpret_cast<WriteRequest *>(req);
  if (status < 0) close_connection(req->handle);
  delete[] write->buf.base;
  delete write;
}

void on_read(uv_stream_t *client, ssize_t nread, const uv_buf_t *buf) {
  if (nread < 0) {
    close_connection(client);
    return;
  }
  if (nread == 0) return;
  server_of(reinterpret_cast<uv_handle_t *>(client)).bytes += static_cast<uint64_t>(nread);
  uv_buf_t whole = uv_buf_init(buf->base, static_cast<unsigned int>(nread));
  const int written = uv_try_write(client, &whole, 1);  // UV_EAGAIN while earlier writes are queued
  if (written < 0 && written != UV_EAGAIN) {
    close_connection(client);
    return;
  }
  const size_t done = written > 0 ? static_cast<size_t>(written) : 0;
  if (done == static_cast<size_t>(nread)) return;
  auto *write = new WriteRequest;
  const size_t rest = static_cast<size_t>(nread) - done;
  write->buf = uv_buf_init(new char[rest], static_cast<unsigned int>(rest));
  std::memcpy(write->buf.base, buf->base + done, rest);
  if (uv_write(&write->req, client, &write->buf, 1, on_write) == 0) return;
  delete[] write->buf.base;
  delete write;
  close_connection(client);
}

void on_new_connection(uv_stream_t *listener, int status) {
  if (status < 0) return;
  auto *client = new uv_tcp_t;
  uv_tcp_init(listener->loop, client);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t *>(client)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t *>(client), free_connection);
    return;
  }
  uv_tcp_nodelay(client, 1);
  ++server_of(reinterpret_cast<uv_handle_t *>(listener)).accepted;
  uv_read_start(reinterpret_cast<uv_stream_t *>(client), alloc_buffer, on_read);
}

void on_stop(uv_async_t *async) {
  Server &server = server_of(reinterpret_cast<uv_handle_t *>(async));
  uv_walk(
      async->loop,
      [](uv_handle_t *handle, void *arg) {
        const Server &s = *static_cast<Server *>(arg);
        if (uv_is_closing(handle)) return;
        const bool owned = handle == reinterpret_cast<const uv_handle_t *>(&s.listener) ||
                           handle == reinterpret_cast<const uv_handle_t *>(&s.stop);
        uv_close(handle, owned ? nullptr : free_connection);
      },
      &server);
}

// A listening socket bound to `address` with SO_REUSEPORT; exits on failure.
int make_listener(const sockaddr_storage &address) {
  const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  const socklen_t size = address.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      bind(fd, reinterpret_cast<const sockaddr *>(&address), size) != 0 || listen(fd, 4096) != 0) {
    std::perror("peer-libuv-echo: bind/listen");
    std::exit(1);
  }
  return fd;
}

void start_server(Server &server, const sockaddr_storage &address) {
  uv_loop_init(&server.loop);
  server.loop.data = &server;
  uv_tcp_init(&server.loop, &server.listener);
  int rc = uv_tcp_open(&server.listener, make_listener(address));
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t *>(&server.listener), 4096, on_new_connection);
  if (rc != 0) {
    std::fprintf(stderr, "%s: listen: %s\n", kProgram, uv_strerror(rc));
    std::exit(1);
  }
  uv_async_init(&server.loop, &server.stop, on_stop);
}

int port_of(const sockaddr_storage &address) {
  return ntohs(address.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in &>(address).sin_port
                                            : reinterpret_cast<const sockaddr_in6 &>(address).sin6_port);
}

// The control loop: SIGINT, SIGTERM and the end of --duration wake every server's stop handle.
struct Control {
  uv_loop_t loop;
  uv_signal_t sigint, sigterm;
  uv_timer_t deadline;
  std::vector<std::unique_ptr<Server>> *servers;
};

void stop_all(uv_loop_t *loop) {
  auto &control = *static_cast<Control *>(loop->data);
  for (auto &s : *control.servers) uv_async_send(&s->stop);
  for (uv_handle_t *h : {reinterpret_cast<uv_handle_t *>(&control.sigint), reinterpret_cast<uv_handle_t *>(&control.sigterm),
                         reinterpret_cast<uv_handle_t *>(&control.deadline)}) {
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  }
}

}  // namespace

int main(int argc, char **argv) {
  bench::Args args(argc, argv, kProgram, kUsage);
  const bench::ServerOptions o = bench::parse_server_options(args);
  int port = o.port;
  sockaddr_storage address{};
  if (uv_ip4_addr(o.host.c_str(), port, reinterpret_cast<sockaddr_in *>(&address)) != 0 &&
      uv_ip6_addr(o.host.c_str(), port, reinterpret_cast<sockaddr_in6 *>(&address)) != 0) {
    args.fail("--host: '" + o.host + "' is not a numeric IPv4 or IPv6 address");
  }
  bench::raise_fd_limit();

  std::vector<std::unique_ptr<Server>> servers;
  for (int i = 0; i < o.threads; ++i) {
    servers.push_back(std::make_unique<Server>());
    start_server(*servers.back(), address);
    if (i == 0) {  // the others bind to the port the first one got
      int size = sizeof address;
      uv_tcp_getsockname(&servers[0]->listener, reinterpret_cast<sockaddr *>(&address), &size);
      port = port_of(address);
    }
  }

  Control control{};
  control.servers = &servers;
  uv_loop_init(&control.loop);
  control.loop.data = &control;
  uv_signal_init(&control.loop, &control.sigint);
  uv_signal_init(&control.loop, &control.sigterm);
  uv_timer_init(&control.loop, &control.deadline);
  uv_signal_start(&control.sigint, [](uv_signal_t *h, int) { stop_all(h->loop); }, SIGINT);
  uv_signal_start(&control.sigterm, [](uv_signal_t *h, int) { stop_all(h->loop); }, SIGTERM);
  if (o.duration > 0) {
    uv_timer_start(&control.deadline, [](uv_timer_t *h) { stop_all(h->loop); }, static_cast<uint64_t>(o.duration * 1000),
                   0);
  }
  std::printf("listening on %s:%d backend=libuv threads=%d\n", o.host.c_str(), port, o.threads);
  std::fflush(stdout);

  std::vector<std::thread> workers;
  for (auto &s : servers) workers.emplace_back([&server = *s] { uv_run(&server.loop, UV_RUN_DEFAULT); });
  uv_run(&control.loop, UV_RUN_DEFAULT);
  for (auto &w : workers) w.join();
  uv_loop_close(&control.loop);
  uint64_t bytes = 0, accepted = 0;
  for (auto &s : servers) {
    uv_loop_close(&s->loop);
    bytes += s->bytes;
    accepted += s->accepted;
  }
  std::printf("summary: connections=%llu bytes=%llu\n", static_cast<unsigned long long>(accepted),
              static_cast<unsigned long long>(bytes));
  return 0;
}
