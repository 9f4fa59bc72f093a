// queuednet-broadcast-load: a load generator for broadcast servers (the protocol is in
// broadcast_wire.h) that knows only the wire format and uses raw sockets, not queuednet. See
// kUsage. The main thread connects every client, starts the workers (broadcast_load_worker.cpp),
// waits for every join ack, gives the go, and reports once the workers are done.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "broadcast_connect.h"
#include "broadcast_load.h"
#include "broadcast_wire.h"
#include "cli_args.h"
#include "fd_limit.h"
#include "load_common.h"
#include "target_option.h"

namespace {

using broadcast::Options;

constexpr const char *kProgram = "queuednet-broadcast-load";
constexpr const char *kUsage =
    "usage: queuednet-broadcast-load --port P [options]\n"
    "Drives a broadcast server: clients in rooms of consecutive ids join their room, then each\n"
    "sends data datagrams at a fixed rate, which the server sends to every member of the room.\n"
    "Every member checks every datagram (room, size, padding, and from each sender exactly the\n"
    "next sequence) and, at the end, that it got everything its room's senders sent and nothing\n"
    "more: each client reads on 0.3 s past the last delivery, and anything then fails the run.\n"
    "\n"
    "  --port P             the server's port\n"
    "  --host H             the server's IPv4 address (default 127.0.0.1)\n"
    "  --clients C          connections (default 1000)\n"
    "  --room-size K        clients per room (default 100; the last room is smaller when K does\n"
    "                       not divide C)\n"
    "  --rate R             data datagrams per second per client, fractional allowed (default 1);\n"
    "                       the clients' sends are staggered evenly over a period\n"
    "  --size S             data datagram bytes, 17..65535 (default 32)\n"
    "  --duration SECONDS   time spent sending (default 5, at most 3600)\n"
    "  --threads T          load threads, each an epoll loop over its share (default 1)\n"
    "  -h, --help           this text\n"
    "\n"
    "Bounds: connecting and the join acks 10 s (+1 s per 1,000 clients) each; the last deliveries\n"
    "10 s after sending stops. Prints 'load: clients=C room_size=K rate=R sent=S delivered=D\n"
    "expected=E deliveries_per_sec=X p50_us=... p99_us=... result=ok|FAILED' on stdout (latency:\n"
    "receive time - send time of each delivery); on FAILED, the reason on stderr and exit 1.\n";

Options parse(int argc, char **argv) {
  Options o;
  bench::Args args(argc, argv, kProgram, kUsage);
  while (args.next()) {
    if (bench::take_target_option(args, o.host, o.port)) continue;
    if (args.is("--clients")) o.clients = args.integer<uint32_t>(1, 1000000);
    else if (args.is("--room-size")) o.room_size = args.integer<uint32_t>(1, 1000000);
    else if (args.is("--rate")) o.rate = args.real(0.001, 1e6);
    else if (args.is("--size")) o.size = args.integer<uint32_t>(broadcast::kDataHeaderSize, 65535);
    else if (args.is("--duration")) o.duration = args.real(0.001, 3600);
    else if (args.is("--threads")) o.threads = args.integer(1, 256);
    else args.unknown();
  }
  bench::check_target(args, o.host, o.port);
  if (o.room_size > o.clients) args.fail("--room-size must not exceed --clients");
  return o;
}

// Waits (bounded) until every client's join ack came back.
bool wait_for_acks(broadcast::Run &run, double timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  while (run.acked.load() < run.options.clients && !run.abort.load()) {
    if (std::chrono::steady_clock::now() > deadline) {
      char why[128];
      std::snprintf(why, sizeof why, "%llu of %u join acks came back within %g s",
                    static_cast<unsigned long long>(run.acked.load()), run.options.clients, timeout_seconds);
      run.fail(why);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return !run.abort.load();
}

}  // namespace

int main(int argc, char **argv) {
  const Options o = parse(argc, argv);
  bench::raise_fd_limit();
  std::signal(SIGPIPE, SIG_IGN);

  broadcast::Run run(o);
  run.workers = static_cast<int>(std::min<uint32_t>(static_cast<uint32_t>(o.threads), o.clients));
  const double bound = 10 + o.clients / 1000.0;
  std::string error;
  const std::vector<int> fds = broadcast::connect_all(o.host, o.port, o.clients, bound, error);
  if (fds.empty()) run.fail("connecting to " + o.host + ":" + std::to_string(o.port) + ": " + error);

  std::vector<broadcast::WorkerResult> results(fds.empty() ? 0 : static_cast<size_t>(run.workers));
  std::vector<std::thread> threads;
  for (size_t w = 0; w < results.size(); ++w) {
    std::vector<uint32_t> ids;
    std::vector<int> mine;
    for (uint32_t i = static_cast<uint32_t>(w); i < o.clients; i += static_cast<uint32_t>(run.workers)) {
      ids.push_back(i);
      mine.push_back(fds[i]);
    }
    threads.emplace_back([&run, &results, w, ids, mine] { broadcast::run_worker(run, ids, mine, results[w]); });
  }
  if (!fds.empty() && wait_for_acks(run, bound)) {
    run.send_start_ns = broadcast::monotonic_ns() + 10'000'000;  // the workers see the go first
    run.send_end_ns = run.send_start_ns + static_cast<int64_t>(o.duration * 1e9);
    run.go.store(true, std::memory_order_release);
  }
  for (auto &t : threads) t.join();
  for (const int fd : fds) close(fd);

  uint64_t sent = 0, delivered = 0, expected = 0;
  int64_t last_delivery = run.send_start_ns;
  std::vector<uint32_t> latency(broadcast::kLatencyBuckets, 0);
  for (const auto &r : results) {
    sent += r.sent;
    delivered += r.delivered;
    expected += r.expected;
    last_delivery = std::max(last_delivery, r.last_delivery_ns);
    for (size_t i = 0; i < latency.size(); ++i) latency[i] += r.latency_us[i];
  }
  const std::string failure = run.first_failure();
  const bool ok = failure.empty() && delivered == expected;
  const double secs = std::max(1e-6, static_cast<double>(last_delivery - run.send_start_ns) / 1e9);
  std::printf("load: clients=%u room_size=%u rate=%g sent=%llu delivered=%llu expected=%llu deliveries_per_sec=%.0f "
              "p50_us=%llu p99_us=%llu result=%s\n",
              o.clients, o.room_size, o.rate, static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(expected),
              static_cast<double>(delivered) / secs,
              static_cast<unsigned long long>(load::percentile(latency, delivered, 0.50)),
              static_cast<unsigned long long>(load::percentile(latency, delivered, 0.99)), ok ? "ok" : "FAILED");
  if (ok) return 0;
  std::fprintf(stderr, "%s: %s\n", kProgram,
               failure.empty() ? "delivered differs from expected" : failure.c_str());
  return 1;
}
