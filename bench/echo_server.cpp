// queuednet-echo-server: echoes every datagram to where it came from. Written with the public
// API exactly as the Panda3D manual's server (manager, listener, reader, writer); see kUsage.
//
// Prints "listening on HOST:PORT backend=B threads=N[ udp=PORT]" once it accepts connections,
// one "stats:" line per --stats interval, and on SIGINT/SIGTERM or after --duration exits 0
// with a "summary:" line built from the same counters.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cli_args.h"
#include "fd_limit.h"
#include "queuednet/queuednet.h"

using namespace queuednet;

namespace {

constexpr const char *kProgram = "queuednet-echo-server";
constexpr const char *kUsage =
    "usage: queuednet-echo-server --port P [options]\n"
    "Echoes every datagram back to the connection (TCP) or sender (UDP) it came from.\n"
    "\n"
    "  --port P             TCP port to listen on (0: an ephemeral port, printed at start)\n"
    "  --host H             address to listen on (default 127.0.0.1)\n"
    "  --udp P              also echo UDP datagrams (Panda3D checksum framing) on port P\n"
    "  --threads N          0 = polled mode (default), N = N worker threads (0..256)\n"
    "  --backend B          auto (default), io_uring, epoll or poll\n"
    "  --header-size S      TCP length header: 2 (default), 4, or 0 (unframed)\n"
    "  --reuse-port         SO_REUSEPORT: several servers on one port share its connections\n"
    "  --stats SECONDS      print a line of statistics every SECONDS\n"
    "  --duration SECONDS   stop after SECONDS (default: run until SIGINT/SIGTERM)\n"
    "  -h, --help           this text\n"
    "\n"
    "Output: 'listening on HOST:PORT backend=B threads=N[ udp=PORT]' once ready; with --stats\n"
    "'stats: t=... in/s=... out/s=... in_MB/s=... out_MB/s=... refused=... open=... accepted=...\n"
    "resets=... queue_drops=... oversize=... bad_udp=... accept_refusals=... queued_bytes=...'\n"
    "per interval (the last fields are ConnectionManager::get_statistics()); 'summary: ...' on exit.\n"
    "The library's own warnings are off unless QUEUEDNET_LOG=warning is set: failures are\n"
    "reported here, one line each.\n"
    "Exit status: 0 after a clean stop, 1 when it cannot start, 2 on a bad argument.\n";

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

struct Options {
  std::string host = "127.0.0.1";
  int port = -1;
  int udp_port = -1;  // -1: no UDP
  int threads = 0;
  BackendKind backend = BackendKind::automatic;
  int header_size = 2;
  bool reuse_port = false;
  double stats = 0;     // 0: no periodic line
  double duration = 0;  // 0: until a signal
};

Options parse(int argc, char **argv) {
  Options o;
  bench::Args args(argc, argv, kProgram, kUsage);
  while (args.next()) {
    if (args.is("--port")) o.port = args.integer(0, 65535);
    else if (args.is("--host")) o.host = args.value();
    else if (args.is("--udp")) o.udp_port = args.integer(0, 65535);
    else if (args.is("--threads")) o.threads = args.integer(0, 256);
    else if (args.is("--header-size")) {
      o.header_size = args.integer(0, 4);
      if (o.header_size == 1 || o.header_size == 3) args.fail("--header-size must be 0, 2 or 4");
    } else if (args.is("--backend")) {
      const auto v = args.value();
      const auto k = parse_backend_kind(v);
      if (!k) args.fail("--backend: '" + std::string(v) + "' is not auto, io_uring, epoll or poll");
      o.backend = *k;
    } else if (args.is("--reuse-port")) o.reuse_port = true;
    else if (args.is("--stats")) o.stats = args.real(0.01, 86400);
    else if (args.is("--duration")) o.duration = args.real(0, 1e7);
    else args.unknown();
  }
  if (o.port < 0) args.fail("--port is required");
  if (o.host.empty()) args.fail("--host must not be empty");
  return o;
}

// What the echo loop did, counted on its one application thread (exact); the connection
// counts and drops come from the manager's statistics.
struct Counters {
  uint64_t in = 0, out = 0, bytes_in = 0, bytes_out = 0, refused = 0;
};

// The manager's side of a stats line or the summary (ConnectionManager::get_statistics).
std::string manager_fields(const ManagerStatistics &m) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "open=%llu accepted=%llu resets=%llu queue_drops=%llu oversize=%llu bad_udp=%llu "
                "accept_refusals=%llu queued_bytes=%zu",
                static_cast<unsigned long long>(m.connections_open), static_cast<unsigned long long>(m.connections_accepted),
                static_cast<unsigned long long>(m.connections_reset), static_cast<unsigned long long>(m.queue_drops),
                static_cast<unsigned long long>(m.oversize_frames), static_cast<unsigned long long>(m.bad_datagrams),
                static_cast<unsigned long long>(m.accept_refusals), m.bytes_queued);
  return buf;
}

// Echoes what is queued now; returns how many datagrams it handled.
size_t echo_some(QueuedConnectionReader &reader, ConnectionWriter &writer, Counters &n) {
  size_t handled = 0;
  NetDatagram dg;
  while (handled < 4096 && reader.get_data(dg)) {
    ++handled;
    ++n.in;
    n.bytes_in += dg.get_length();
    const auto &c = dg.get_connection();
    const bool sent = c && c->get_kind() == Connection::Kind::udp ? writer.send(dg, c, dg.get_address(), true)
                                                                   : writer.send(dg, c, true);
    if (sent) {
      ++n.out;
      n.bytes_out += dg.get_length();
    } else {
      ++n.refused;
    }
  }
  return handled;
}

// Prints one "stats:" line per interval with rates since the previous line.
class StatsPrinter {
 public:
  explicit StatsPrinter(double interval) : interval_(interval) {}

  void maybe_print(const Counters &n, const ConnectionManager &manager, double elapsed) {
    if (interval_ <= 0 || elapsed < next_) return;
    const double dt = elapsed - last_t_;
    std::printf("stats: t=%.1f in/s=%.0f out/s=%.0f in_MB/s=%.2f out_MB/s=%.2f refused=%llu %s\n", elapsed,
                static_cast<double>(n.in - last_.in) / dt, static_cast<double>(n.out - last_.out) / dt,
                static_cast<double>(n.bytes_in - last_.bytes_in) / dt / 1e6,
                static_cast<double>(n.bytes_out - last_.bytes_out) / dt / 1e6,
                static_cast<unsigned long long>(n.refused), manager_fields(manager.get_statistics()).c_str());
    std::fflush(stdout);
    last_ = n;
    last_t_ = elapsed;
    while (next_ <= elapsed) next_ += interval_;
  }

 private:
  double interval_;
  double next_ = interval_;
  double last_t_ = 0;
  Counters last_;
};

// Opens the TCP rendezvous and the optional UDP socket; prints one line and exits on failure
// (2 when the host does not resolve, 1 otherwise).
std::shared_ptr<Connection> open_or_exit(bool udp, QueuedConnectionManager &manager, const Options &opt) {
  clear_last_error();
  const int port = udp ? opt.udp_port : opt.port;
  auto c = udp ? manager.open_UDP_connection(opt.host, static_cast<uint16_t>(port))
               : manager.open_TCP_server_rendezvous(opt.host, static_cast<uint16_t>(port), 4096);
  if (c) return c;
  const Error &e = last_error();
  if (e.code == make_error_code(errc::host_not_found)) {
    std::fprintf(stderr, "%s: --host: cannot resolve '%s' (--help for usage)\n", kProgram, opt.host.c_str());
    std::exit(2);
  }
  std::fprintf(stderr, "%s: cannot %s %s:%d: %s\n", kProgram, udp ? "bind UDP" : "listen on TCP", opt.host.c_str(),
               port, e.code.message().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char **argv) {
  const Options opt = parse(argc, argv);
  setenv("QUEUEDNET_LOG", "error", 0);  // failures are reported below, once; see kUsage
  bench::raise_fd_limit();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<QueuedConnectionManager> manager;
  try {
    manager = std::make_unique<QueuedConnectionManager>(opt.threads, opt.backend);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return 1;
  }
  manager->set_reuse_port(opt.reuse_port);
  QueuedConnectionListener listener(manager.get(), 0);
  QueuedConnectionReader reader(manager.get(), 0);
  ConnectionWriter writer(manager.get(), 0);
  reader.set_tcp_header_size(opt.header_size);
  // Panda3D's default bound (50,000) drops datagrams once more are in flight than that, e.g.
  // 5,000 clients with 16 outstanding each. An echo server must queue all it has accepted.
  reader.set_max_queue_size(1 << 24);
  writer.set_tcp_header_size(opt.header_size);

  auto rendezvous = open_or_exit(false, *manager, opt);
  listener.add_connection(rendezvous);
  std::string udp_note;
  if (opt.udp_port >= 0) {
    auto udp = open_or_exit(true, *manager, opt);
    reader.add_connection(udp);
    udp_note = " udp=" + std::to_string(udp->get_address().get_port());
  }
  std::printf("listening on %s:%d backend=%s threads=%d%s\n", opt.host.c_str(), rendezvous->get_address().get_port(),
              std::string(to_string(manager->get_backend())).c_str(), manager->get_num_threads(), udp_note.c_str());
  std::fflush(stdout);

  Counters n;
  StatsPrinter stats(opt.stats);
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (g_stop.load() || (opt.duration > 0 && elapsed >= opt.duration)) break;
    stats.maybe_print(n, *manager, elapsed);
    bool busy = false;
    std::shared_ptr<Connection> c;
    while (listener.new_connection_available() && listener.get_new_connection(c)) {
      reader.add_connection(c);
      busy = true;
    }
    // A reset is reported after every datagram read from that connection was queued, but the
    // datagrams may still wait here: collect the resets, echo what is queued, and only then
    // close them (a peer that sends and half-closes at once gets every echo).
    std::vector<std::shared_ptr<Connection>> reset;
    while (manager->reset_connection_available() && manager->get_reset_connection(c)) reset.push_back(c);
    // One consumer: a second one would race the first and reorder a connection's echoes.
    // Polled mode: wait_for_data turns the loop, blocking until socket activity. Threaded
    // mode: it sleeps until a worker queues a datagram.
    if (reader.data_available()) busy = echo_some(reader, writer, n) > 0 || busy;
    if (!reset.empty()) {
      // What is queued now holds their last datagrams (the loop queued them before the reset).
      for (size_t left = static_cast<size_t>(reader.get_current_queue_size()); left > 0;) {
        const size_t handled = echo_some(reader, writer, n);
        if (handled == 0) break;
        left -= std::min(left, handled);
      }
      for (auto &r : reset) manager->close_connection(r);  // the echoes are queued; they go out first
      busy = true;
    }
    if (!busy) reader.wait_for_data(0.01);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const ManagerStatistics m = manager->get_statistics();
  std::printf("summary: connections=%llu resets=%llu datagrams_in=%llu datagrams_out=%llu bytes_in=%llu "
              "bytes_out=%llu dropped=%llu refused=%llu bad_udp=%llu seconds=%.2f %s\n",
              static_cast<unsigned long long>(m.connections_accepted), static_cast<unsigned long long>(m.connections_reset),
              static_cast<unsigned long long>(n.in), static_cast<unsigned long long>(n.out),
              static_cast<unsigned long long>(n.bytes_in), static_cast<unsigned long long>(n.bytes_out),
              static_cast<unsigned long long>(m.queue_drops), static_cast<unsigned long long>(n.refused),
              static_cast<unsigned long long>(m.bad_datagrams), secs, manager_fields(m).c_str());
  return 0;
}
