// queuednet-echo-server: echoes every datagram to where it came from. Written with the public
// API exactly as the Panda3D manual's server (manager, listener, reader, writer); see kUsage.
//
// Prints "listening on HOST:PORT backend=B threads=N[ udp=PORT]" once it accepts connections,
// one "stats:" line per --stats interval, and on SIGINT/SIGTERM or after --duration exits 0
// with a "summary:" line built from the same counters, once the connections being closed have
// closed (at most 2 s later).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli_args.h"
#include "manual_server.h"
#include "queuednet/queuednet.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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
    "resets=... queue_drops=... oversize=... bad_udp=... accept_refusals=... queued_bytes=...\n"
    "[heap_used_kb=... heap_free_kb=... heap_mmap_kb=...]' per interval (ConnectionManager::\n"
    "get_statistics(), then glibc's mallinfo2() where there is one); 'summary: ...' on exit,\n"
    "after waiting up to 2 s for the connections being closed to close (open= then counts those\n"
    "still connected, plus the listening sockets).\n"
    "The library's own warnings are off unless QUEUEDNET_LOG=warning is set: failures are\n"
    "reported here, one line each.\n"
    "Exit status: 0 after a clean stop, 1 when it cannot start, 2 on a bad argument.\n";

struct Options : bench::ManualOptions {
  int udp_port = -1;  // -1: no UDP
  int header_size = 2;
  bool reuse_port = false;
};

Options parse(int argc, char **argv) {
  Options o;
  bench::Args args(argc, argv, kProgram, kUsage);
  bench::parse_manual_options(args, o, [&] {
    if (args.is("--udp")) o.udp_port = args.integer(0, 65535);
    else if (args.is("--header-size")) {
      o.header_size = args.integer(0, 4);
      if (o.header_size == 1 || o.header_size == 3) args.fail("--header-size must be 0, 2 or 4");
    } else if (args.is("--reuse-port")) o.reuse_port = true;
    else return false;
    return true;
  });
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

// One "stats:" line at `elapsed` seconds: rates over the `span` seconds since the counters
// were `before`.
// glibc's view of the heap (mallinfo2): " heap_used_kb=... heap_free_kb=... heap_mmap_kb=...",
// or nothing elsewhere. Tells a leak (used grows) from fragmentation (free grows).
std::string heap_fields() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  const struct mallinfo2 m = mallinfo2();
  char buf[128];
  std::snprintf(buf, sizeof buf, " heap_used_kb=%zu heap_free_kb=%zu heap_mmap_kb=%zu", m.uordblks >> 10, m.fordblks >> 10,
                m.hblkhd >> 10);
  return buf;
#else
  return "";
#endif
}

void print_stats(double elapsed, double span, const Counters &n, const Counters &before,
                 const ConnectionManager &manager) {
  std::printf("stats: t=%.1f in/s=%.0f out/s=%.0f in_MB/s=%.2f out_MB/s=%.2f refused=%llu %s%s\n", elapsed,
              static_cast<double>(n.in - before.in) / span, static_cast<double>(n.out - before.out) / span,
              static_cast<double>(n.bytes_in - before.bytes_in) / span / 1e6,
              static_cast<double>(n.bytes_out - before.bytes_out) / span / 1e6,
              static_cast<unsigned long long>(n.refused), manager_fields(manager.get_statistics()).c_str(),
              heap_fields().c_str());
}

}  // namespace

int main(int argc, char **argv) {
  const Options opt = parse(argc, argv);
  bench::ManualServer server(kProgram, opt.threads, opt.backend);  // exits on failure; see kUsage
  QueuedConnectionManager &manager = server.manager();
  manager.set_reuse_port(opt.reuse_port);
  server.reader.set_tcp_header_size(opt.header_size);
  server.writer.set_tcp_header_size(opt.header_size);
  const int port = server.listen_or_exit(opt.host, opt.port);
  const std::string udp_note =
      opt.udp_port >= 0 ? " udp=" + std::to_string(server.bind_udp_or_exit(opt.host, opt.udp_port)) : "";
  server.print_listening(opt.host, port, udp_note);

  Counters n;
  bench::StatsLines<Counters> stats(opt.stats);
  const auto print = [&](double elapsed) {
    stats.maybe_print(elapsed, n, [&](const Counters &before, double span) {
      print_stats(elapsed, span, n, before, manager);
    });
  };
  const auto echo = [&] { return echo_some(server.reader, server.writer, n); };
  const auto just_close = [](const std::shared_ptr<Connection> &) {};
  server.run(opt.duration, print, echo, just_close);
  // A connection counts as open until its socket is closed, and a graceful close waits for the
  // peer to take the last output (docs/architecture.md). Keep serving, for at most 2 s, until
  // only the listening sockets are left, so the summary's open= counts connections still there,
  // not ones still closing.
  const size_t listening = opt.udp_port >= 0 ? 2 : 1;
  const auto settle_until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (manager.get_num_connections() > listening && std::chrono::steady_clock::now() < settle_until) {
    server.turn(echo, just_close);
  }
  // The summary's counts include what was echoed while settling, so its seconds do too.
  const double secs = server.seconds();
  const ManagerStatistics m = manager.get_statistics();
  std::printf("summary: connections=%llu resets=%llu datagrams_in=%llu datagrams_out=%llu bytes_in=%llu "
              "bytes_out=%llu dropped=%llu refused=%llu bad_udp=%llu seconds=%.2f %s\n",
              static_cast<unsigned long long>(m.connections_accepted), static_cast<unsigned long long>(m.connections_reset),
              static_cast<unsigned long long>(n.in), static_cast<unsigned long long>(n.out),
              static_cast<unsigned long long>(n.bytes_in), static_cast<unsigned long long>(n.bytes_out),
              static_cast<unsigned long long>(m.queue_drops), static_cast<unsigned long long>(n.refused),
              static_cast<unsigned long long>(m.bad_datagrams), secs, manager_fields(m).c_str());
  return 0;
}
