// queuednet-echo-load: a load generator for echo servers that knows only the wire format and
// uses raw sockets, not queuednet, so it checks the server independently. See kUsage.
//
// Prints one "load:" summary line on stdout; progress goes to stderr. Exits 1 on any
// mismatch, lost TCP connection or missing TCP echo (UDP losses are counted, not failures).
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli_args.h"
#include "fd_limit.h"
#include "load_common.h"
#include "load_tcp.h"
#include "load_udp.h"

namespace {

using load::Clock;

constexpr const char *kProgram = "queuednet-echo-load";
constexpr const char *kUsage =
    "usage: queuednet-echo-load --port P [options]\n"
    "Drives an echo server with many connections, each keeping a window of datagrams in flight,\n"
    "and compares every echoed byte with what was sent.\n"
    "\n"
    "  --port P             the server's port (TCP, or UDP with --udp)\n"
    "  --host H             the server's IPv4 address (default 127.0.0.1)\n"
    "  --udp                UDP datagrams with Panda3D's checksum header instead of TCP\n"
    "  --connections N      TCP connections or UDP sockets (default 100)\n"
    "  --window W           datagrams in flight per connection (default 1)\n"
    "  --size S             payload bytes (default 32; UDP needs at least 8)\n"
    "  --header-size 2|4    TCP length header (default 2)\n"
    "  --duration SECONDS   send for this long (default 5, at most 3600)\n"
    "  --count N            or send N datagrams per connection\n"
    "  --threads T          load threads (default 1)\n"
    "  --loss-timeout S     UDP: an echo not back after S seconds is lost (default 0.5)\n"
    "  -h, --help           this text\n"
    "\n"
    "Runs longer than 3 seconds show progress on stderr (one updating line on a terminal).\n"
    "Prints 'load: ... msgs_per_sec=... p50_us=... p99_us=... result=ok|FAILED' on stdout.\n";

load::Options parse(int argc, char **argv) {
  load::Options o;
  bench::Args args(argc, argv, kProgram, kUsage);
  while (args.next()) {
    if (args.is("--port")) o.port = args.integer(1, 65535);
    else if (args.is("--host")) o.host = args.value();
    else if (args.is("--udp")) o.udp = true;
    else if (args.is("--connections")) o.connections = args.integer(1, 1000000);
    else if (args.is("--window")) o.window = args.integer(1, 100000);
    else if (args.is("--size")) o.size = args.integer(0, 16 << 20);
    else if (args.is("--header-size")) {
      o.header = args.integer(2, 4);
      if (o.header == 3) args.fail("--header-size must be 2 or 4");
    } else if (args.is("--duration")) o.duration = args.real(0.001, 3600);
    else if (args.is("--count")) o.count = args.integer(1L, 1L << 40);
    else if (args.is("--threads")) o.threads = args.integer(1, 256);
    else if (args.is("--loss-timeout")) o.loss_timeout = args.real(0.001, 60);
    else args.unknown();
  }
  if (o.port < 0) args.fail("--port is required");
  if (o.header == 2 && o.size > 65535) args.fail("--size over 65535 needs --header-size 4");
  if (o.udp && (o.size < 8 || o.size > 65507 - 2)) args.fail("--size must be 8..65505 with --udp");
  return o;
}

// One progress line per second on stderr: rewritten in place on a terminal, appended otherwise.
class Progress {
 public:
  Progress(const load::Options &o, const std::vector<load::Stats> &stats)
      : o_(o), stats_(stats), tty_(isatty(STDERR_FILENO) == 1) {}

  void print(double elapsed) {
    if (!(o_.count == 0 ? o_.duration > 3 : elapsed >= 3)) return;
    uint64_t sent = 0, received = 0, lost = 0;
    for (const auto &s : stats_) {
      sent += s.sent.load(std::memory_order_relaxed);
      received += s.received.load(std::memory_order_relaxed);
      lost += s.lost.load(std::memory_order_relaxed);
    }
    char total[32] = "";
    if (o_.count == 0) std::snprintf(total, sizeof total, "/%gs", o_.duration);
    char line[256];
    std::snprintf(line, sizeof line, "progress: %.0fs%s sent=%llu received=%llu msgs/s=%.0f%s", elapsed, total,
                  static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received),
                  static_cast<double>(received - last_received_) / (elapsed - last_elapsed_),
                  o_.udp ? (" lost=" + std::to_string(lost)).c_str() : "");
    std::fprintf(stderr, tty_ ? "\r%s\033[K" : "%s\n", line);
    printed_ = true;
    last_received_ = received;
    last_elapsed_ = elapsed;
  }

  void finish() {
    if (tty_ && printed_) std::fputc('\n', stderr);
  }

 private:
  const load::Options &o_;
  const std::vector<load::Stats> &stats_;
  const bool tty_;
  bool printed_ = false;
  uint64_t last_received_ = 0;
  double last_elapsed_ = 0;
};

}  // namespace

int main(int argc, char **argv) {
  const load::Options o = parse(argc, argv);
  bench::raise_fd_limit();

  std::vector<int> fds(static_cast<size_t>(o.connections), -1);
  for (int i = 0; i < o.connections; ++i) {
    fds[i] = o.udp ? load::open_udp(o) : load::connect_tcp(o);
    if (fds[i] < 0) {
      std::fprintf(stderr, "%s: connection %d to %s:%d failed: %s\n", kProgram, i, o.host.c_str(), o.port,
                   std::strerror(errno));
      return 1;
    }
  }
  const int t = std::min(o.threads, o.connections);
  std::vector<load::Stats> stats(static_cast<size_t>(t));
  std::mutex mutex;
  std::condition_variable finished_cv;
  int finished = 0;
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto stop_sending = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  for (int w = 0; w < t; ++w) {
    load::Sockets mine;
    for (int i = w; i < o.connections; i += t) mine.emplace_back(static_cast<uint32_t>(i), fds[i]);
    threads.emplace_back([&, w, mine] {
      (o.udp ? load::run_udp_worker : load::run_tcp_worker)(o, mine, stop_sending, stats[w]);
      std::lock_guard lock(mutex);
      ++finished;
      finished_cv.notify_one();
    });
  }
  Progress progress(o, stats);
  {
    std::unique_lock lock(mutex);
    for (int second = 1; !finished_cv.wait_until(lock, start + std::chrono::seconds(second), [&] { return finished == t; });
         ++second) {
      progress.print(std::chrono::duration<double>(Clock::now() - start).count());
    }
  }
  progress.finish();
  for (auto &th : threads) th.join();
  // Throughput counts up to the last echo, not the wait for lost UDP datagrams after it.
  auto last_echo = start;
  for (const auto &s : stats) last_echo = std::max(last_echo, s.last_echo);
  const double secs = std::max(1e-6, std::chrono::duration<double>(last_echo - start).count());

  uint64_t sent = 0, received = 0, lost = 0, late = 0, mismatches = 0, failed = 0;
  std::vector<uint32_t> histogram(stats[0].histogram.size(), 0);
  for (auto &s : stats) {
    sent += s.sent;
    received += s.received;
    lost += s.lost;
    late += s.late;
    mismatches += s.mismatches;
    failed += s.failed_connections;
    for (size_t i = 0; i < s.histogram.size(); ++i) histogram[i] += s.histogram[i];
  }
  for (int fd : fds) close(fd);
  const bool ok = o.udp ? mismatches == 0 && received > 0
                        : mismatches == 0 && failed == 0 && sent == received;
  std::printf("load: mode=%s connections=%d window=%d size=%d sent=%llu received=%llu lost=%llu late=%llu "
              "mismatches=%llu failed=%llu seconds=%.2f msgs_per_sec=%.0f p50_us=%llu p99_us=%llu result=%s\n",
              o.udp ? "udp" : "tcp", o.connections, o.window, o.size, static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(received), static_cast<unsigned long long>(lost),
              static_cast<unsigned long long>(late), static_cast<unsigned long long>(mismatches),
              static_cast<unsigned long long>(failed), secs, static_cast<double>(received) / secs,
              static_cast<unsigned long long>(load::percentile(histogram, received, 0.50)),
              static_cast<unsigned long long>(load::percentile(histogram, received, 0.99)), ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
