// queuednet-echo-server: echoes every datagram to the connection it came from. Written with the
// public API exactly as the Panda3D manual's server (manager, listener, reader, writer).
//
//   queuednet-echo-server --port P [--host 127.0.0.1] [--threads N]
//       [--backend auto|io_uring|epoll|poll] [--header-size 0|2|4] [--duration SECONDS]
//
// Prints "listening on HOST:PORT backend=B threads=N" once it accepts connections, and on
// SIGINT/SIGTERM or after --duration exits 0 with a one-line summary.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <chrono>
#include <string>

#include "queuednet/queuednet.h"

using namespace queuednet;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

struct Options {
  std::string host = "127.0.0.1";
  int port = -1;
  int threads = 0;
  BackendKind backend = BackendKind::automatic;
  int header_size = 2;
  double duration = 0;  // 0: until a signal
};

[[noreturn]] void usage(const char *why) {
  std::fprintf(stderr,
               "queuednet-echo-server: %s\n"
               "usage: queuednet-echo-server --port P [--host 127.0.0.1] [--threads N]\n"
               "       [--backend auto|io_uring|epoll|poll] [--header-size 0|2|4] [--duration SECONDS]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
    const char *v = argv[++i];
    if (arg == "--port") o.port = std::atoi(v);
    else if (arg == "--host") o.host = v;
    else if (arg == "--threads") o.threads = std::atoi(v);
    else if (arg == "--header-size") o.header_size = std::atoi(v);
    else if (arg == "--duration") o.duration = std::atof(v);
    else if (arg == "--backend") {
      auto k = parse_backend_kind(v);
      if (!k) usage("--backend must be auto, io_uring, epoll or poll");
      o.backend = *k;
    } else {
      usage(("unknown option " + arg).c_str());
    }
  }
  if (o.port < 0 || o.port > 65535) usage("--port is required (0..65535)");
  if (o.threads < 0 || o.threads > 256) usage("--threads must be 0..256");
  if (o.header_size != 0 && o.header_size != 2 && o.header_size != 4) usage("--header-size must be 0, 2 or 4");
  return o;
}

struct Counters {
  uint64_t in = 0, out = 0, bytes = 0, refused = 0;
};

// Echoes what is queued now; returns how many datagrams it handled.
size_t echo_some(QueuedConnectionReader &reader, ConnectionWriter &writer, Counters &n) {
  size_t handled = 0;
  NetDatagram dg;
  while (handled < 4096 && reader.get_data(dg)) {
    ++handled;
    ++n.in;
    n.bytes += dg.get_length();
    if (writer.send(dg, dg.get_connection(), true)) {
      ++n.out;
    } else {
      ++n.refused;
    }
  }
  return handled;
}

}  // namespace

int main(int argc, char **argv) {
  const Options opt = parse(argc, argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<QueuedConnectionManager> manager;
  try {
    manager = std::make_unique<QueuedConnectionManager>(opt.threads, opt.backend);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "queuednet-echo-server: %s\n", e.what());
    return 1;
  }
  QueuedConnectionListener listener(manager.get(), 0);
  QueuedConnectionReader reader(manager.get(), 0);
  ConnectionWriter writer(manager.get(), 0);
  reader.set_tcp_header_size(opt.header_size);
  // Panda3D's default bound (50,000) drops datagrams once more are in flight than that, e.g.
  // 5,000 clients with 16 outstanding each. An echo server must queue all it has accepted.
  reader.set_max_queue_size(1 << 24);
  writer.set_tcp_header_size(opt.header_size);

  auto rendezvous = manager->open_TCP_server_rendezvous(opt.host, static_cast<uint16_t>(opt.port), 4096);
  if (!rendezvous) {
    std::fprintf(stderr, "queuednet-echo-server: cannot listen on %s:%d: %s\n", opt.host.c_str(), opt.port,
                 last_error().message.c_str());
    return 1;
  }
  listener.add_connection(rendezvous);
  const NetAddress bound = rendezvous->get_address();
  std::printf("listening on %s:%d backend=%s threads=%d\n", opt.host.c_str(), bound.get_port(),
              std::string(to_string(manager->get_backend())).c_str(), manager->get_num_threads());
  std::fflush(stdout);

  Counters n;
  uint64_t accepted = 0, resets = 0;
  const auto start = std::chrono::steady_clock::now();
  while (!g_stop.load()) {
    if (opt.duration > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= opt.duration) {
      break;
    }
    bool busy = false;
    std::shared_ptr<Connection> c;
    while (listener.new_connection_available() && listener.get_new_connection(c)) {
      c->set_no_delay(true);
      reader.add_connection(c);
      ++accepted;
      busy = true;
    }
    while (manager->reset_connection_available() && manager->get_reset_connection(c)) {
      ++resets;
      busy = true;
    }
    // One consumer: a second one would race the first and reorder a connection's echoes.
    // Polled mode: wait_for_data turns the loop, blocking until socket activity. Threaded
    // mode: it sleeps until a worker queues a datagram.
    if (reader.data_available()) busy = echo_some(reader, writer, n) > 0 || busy;
    if (!busy) reader.wait_for_data(0.01);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("summary: connections=%llu resets=%llu datagrams_in=%llu datagrams_out=%llu bytes=%llu "
              "refused=%llu seconds=%.2f\n",
              static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(resets),
              static_cast<unsigned long long>(n.in), static_cast<unsigned long long>(n.out),
              static_cast<unsigned long long>(n.bytes), static_cast<unsigned long long>(n.refused),
              secs);
  return 0;
}
