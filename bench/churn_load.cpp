// queuednet-churn-load: keeps N connections to an echo server and replaces them continuously,
// each after a short verified exchange and a close, a half-close or a reset. See kUsage.
//
// Prints "churn: ..." lines every --report interval and one "load: ... result=ok|FAILED" line
// at the end on stdout; the first few failures are described on stderr. Exits 1 on FAILED.
#include <csignal>
#include <cstdio>
#include <thread>
#include <vector>

#include "churn_worker.h"
#include "cli_args.h"
#include "fd_limit.h"
#include "target_option.h"
#include "tcp_connect.h"

namespace {

constexpr const char *kProgram = "queuednet-churn-load";
constexpr const char *kUsage =
    "usage: queuednet-churn-load --port P [options]\n"
    "Keeps N connections to an echo server (2-byte little-endian length frames) and churns them:\n"
    "each connects, sends 1..20 datagrams of 1..2000 random bytes (up to 4 in flight), checks\n"
    "every echo byte for byte and in order, then leaves in the next of three ways: close() after\n"
    "the last echo; shutdown(SHUT_WR) after the last send, then every echo and the server's close;\n"
    "half a frame and a reset (SO_LINGER 0) after the last echo. A new connection replaces it.\n"
    "\n"
    "  --port P             the server's port\n"
    "  --host H             the server's IPv4 address (default 127.0.0.1)\n"
    "  --connections N      connections kept (default 5000)\n"
    "  --duration SECONDS   churn for this long (default 10)\n"
    "  --threads T          load threads, each with its own epoll (default 1)\n"
    "  --timeout SECONDS    an echo, connect or close not seen after this long fails (default 10)\n"
    "  --report SECONDS     print a 'churn:' line every SECONDS (default: none)\n"
    "  --seed S             random seed (default 1)\n"
    "  -h, --help           this text\n"
    "\n"
    "When the churn ends each connection closes once its echoes are back (at most --timeout).\n"
    "Output: 'churn: t=... open=... opened=... sent=... echoed=... failures=... closed=...\n"
    "half_closed=... reset=...' per --report interval; at the end 'load: opened=... sent=...\n"
    "echoed=... lost=... failures=... closed=... half_closed=... reset=... seconds=...\n"
    "result=ok|FAILED' (lost: datagrams whose echo never came). SIGINT/SIGTERM ends the churn early.\n"
    "Exit status: 0 ok, 1 FAILED (a failure or a lost echo), 2 on a bad argument.\n";

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

churn::Options parse(int argc, char **argv) {
  churn::Options o;
  bench::Args args(argc, argv, kProgram, kUsage);
  while (args.next()) {
    if (bench::take_target_option(args, o.host, o.port)) continue;
    if (args.is("--connections")) o.connections = args.integer(1, 1000000);
    else if (args.is("--duration")) o.duration = args.real(0, 1e6);
    else if (args.is("--threads")) o.threads = args.integer(1, 256);
    else if (args.is("--timeout")) o.timeout = args.real(0.1, 3600);
    else if (args.is("--report")) o.report = args.real(0.1, 86400);
    else if (args.is("--seed")) o.seed = args.integer<uint64_t>(0, UINT64_MAX);
    else args.unknown();
  }
  bench::check_target(args, o.host, o.port);
  if (o.threads > o.connections) args.fail("--threads must not exceed --connections");
  return o;
}

// The workers' counters added up.
struct Totals {
  uint64_t opened = 0, open = 0, closed = 0, half_closed = 0, reset = 0, sent = 0, echoed = 0, failures = 0;

  explicit Totals(const std::vector<churn::Counters> &all) {
    const auto get = [](const std::atomic<uint64_t> &v) { return v.load(std::memory_order_relaxed); };
    for (const auto &c : all) {
      opened += get(c.opened);
      open += get(c.open);
      closed += get(c.closed);
      half_closed += get(c.half_closed);
      reset += get(c.reset);
      sent += get(c.sent);
      echoed += get(c.echoed);
      failures += get(c.failures);
    }
  }
};

}  // namespace

int main(int argc, char **argv) {
  const churn::Options o = parse(argc, argv);
  bench::raise_fd_limit();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  sockaddr_in server{};
  bench::ipv4_address(o.host, o.port, server);

  const auto start = churn::Clock::now();
  const auto churn_until = start + std::chrono::duration_cast<churn::Clock::duration>(std::chrono::duration<double>(o.duration));
  std::vector<churn::Counters> counters(static_cast<size_t>(o.threads));
  std::vector<std::thread> workers;
  std::atomic<int> running{o.threads};
  for (int t = 0; t < o.threads; ++t) {
    const int slots = o.connections / o.threads + (t < o.connections % o.threads ? 1 : 0);
    workers.emplace_back([&, t, slots] {
      churn::run_worker(o, server, slots, static_cast<uint32_t>(t), churn_until, g_stop, counters[static_cast<size_t>(t)]);
      running.fetch_sub(1);
    });
  }
  const auto seconds = [&] { return std::chrono::duration<double>(churn::Clock::now() - start).count(); };
  double next_report = o.report;
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the report clock, not a synchronisation
    if (o.report > 0 && seconds() >= next_report) {
      const Totals n(counters);
      std::printf("churn: t=%.1f open=%llu opened=%llu sent=%llu echoed=%llu failures=%llu closed=%llu "
                  "half_closed=%llu reset=%llu\n",
                  seconds(), static_cast<unsigned long long>(n.open), static_cast<unsigned long long>(n.opened),
                  static_cast<unsigned long long>(n.sent), static_cast<unsigned long long>(n.echoed),
                  static_cast<unsigned long long>(n.failures), static_cast<unsigned long long>(n.closed),
                  static_cast<unsigned long long>(n.half_closed), static_cast<unsigned long long>(n.reset));
      std::fflush(stdout);
      while (next_report <= seconds()) next_report += o.report;
    }
  }
  for (auto &w : workers) w.join();

  const Totals n(counters);
  const uint64_t lost = n.sent - n.echoed;
  const bool ok = n.failures == 0 && lost == 0;
  std::printf("load: opened=%llu sent=%llu echoed=%llu lost=%llu failures=%llu closed=%llu half_closed=%llu "
              "reset=%llu seconds=%.1f result=%s\n",
              static_cast<unsigned long long>(n.opened), static_cast<unsigned long long>(n.sent),
              static_cast<unsigned long long>(n.echoed), static_cast<unsigned long long>(lost),
              static_cast<unsigned long long>(n.failures), static_cast<unsigned long long>(n.closed),
              static_cast<unsigned long long>(n.half_closed), static_cast<unsigned long long>(n.reset), seconds(),
              ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
