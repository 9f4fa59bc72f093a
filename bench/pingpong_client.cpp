// queuednet-pingpong: the "Panda3D-style exchange". A client written with the public API exactly
// like the Panda3D manual's client (QueuedConnectionManager in polled mode, QueuedConnectionReader,
// ConnectionWriter, one connection) keeps a window of datagrams in flight against an echo
// server and waits for the echoes with data_available()/get_data() in a plain loop.
// Two patterns:
//  - drain: each echo taken is answered at once by the next datagram, inside the drain.
//  - burst: the window is refilled with a loop of send() calls made while nothing waits to be
//    read, then the echoes are drained, as a client that sends a frame's messages together does.
//
//   queuednet-pingpong --port P [--host 127.0.0.1] [--backend B] [--pattern drain|burst]
//       [--window 64] [--size 32] [--duration SECONDS] [--round-trips N]
//
// Stops sending after --duration seconds or --round-trips datagrams, whichever comes first.
// Prints "pingpong: backend=B pattern=P window=W size=S round_trips=N seconds=T
// round_trips_per_sec=R result=ok|FAILED"; exits 1 when an echo is wrong or missing.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "cli_args.h"
#include "queuednet/queuednet.h"

using namespace queuednet;

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char *kUsage =
    "usage: queuednet-pingpong --port P [--host 127.0.0.1] [--backend auto|io_uring|epoll|poll]\n"
    "       [--pattern drain|burst] [--window 64] [--size 32] [--duration 3] [--round-trips N]\n"
    "A Panda3D-manual-style polled client: one connection, W datagrams in flight, echoes\n"
    "verified in order; prints round trips per second. drain answers each echo as it is taken;\n"
    "burst refills the window with a loop of send() calls, then drains the echoes.\n";

struct Options {
  std::string host = "127.0.0.1";
  int port = -1;
  BackendKind backend = BackendKind::automatic;
  int window = 64;
  int size = 32;
  double duration = 3;
  bool burst = false;
  uint64_t round_trips = UINT64_MAX;
};

Options parse(int argc, char **argv) {
  Options o;
  bench::Args args(argc, argv, "queuednet-pingpong", kUsage);
  while (args.next()) {
    if (args.is("--port")) o.port = args.integer(1, 65535);
    else if (args.is("--host")) o.host = args.value();
    else if (args.is("--backend")) {
      const auto v = args.value();
      const auto k = parse_backend_kind(v);
      if (!k) args.fail("--backend: '" + std::string(v) + "' is not auto, io_uring, epoll or poll");
      o.backend = *k;
    } else if (args.is("--window")) o.window = args.integer(1, 100000);
    else if (args.is("--size")) o.size = args.integer(8, 65535);
    else if (args.is("--duration")) o.duration = args.real(0.001, 3600);
    else if (args.is("--round-trips")) o.round_trips = static_cast<uint64_t>(args.integer(1, 2000000000));
    else if (args.is("--pattern")) {
      const auto v = args.value();
      if (v != "drain" && v != "burst") args.fail("--pattern: '" + std::string(v) + "' is not drain or burst");
      o.burst = v == "burst";
    }
    else args.unknown();
  }
  if (o.port < 0) args.fail("--port is required");
  return o;
}

Datagram make_datagram(uint64_t seq, int size) {
  Datagram d;
  d.add_uint64(seq);
  for (int i = 8; i < size; ++i) d.add_uint8(static_cast<uint8_t>(seq * 31 + static_cast<uint64_t>(i)));
  return d;
}

bool is_echo_of(const NetDatagram &d, uint64_t seq, int size) {
  if (d.get_length() != static_cast<size_t>(size)) return false;
  DatagramIterator it(d);
  if (it.get_uint64() != seq) return false;
  for (int i = 8; i < size; ++i) {
    if (it.get_uint8() != static_cast<uint8_t>(seq * 31 + static_cast<uint64_t>(i))) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  const Options o = parse(argc, argv);
  std::unique_ptr<QueuedConnectionManager> cManager;
  try {
    cManager = std::make_unique<QueuedConnectionManager>(0, o.backend);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "queuednet-pingpong: %s\n", e.what());
    return 1;
  }
  QueuedConnectionReader cReader(cManager.get(), 0);
  ConnectionWriter cWriter(cManager.get(), 0);
  auto myConnection = cManager->open_TCP_client_connection(o.host, static_cast<uint16_t>(o.port), 3000);
  if (!myConnection) {
    std::fprintf(stderr, "queuednet-pingpong: cannot connect to %s:%d: %s\n", o.host.c_str(), o.port,
                 last_error().code.message().c_str());
    return 1;
  }
  cReader.add_connection(myConnection);

  uint64_t next_seq = 0, expect_seq = 0;
  bool ok = true;
  auto send_next = [&] {
    ok = cWriter.send(make_datagram(next_seq, o.size), myConnection, true) && ok;
    ++next_seq;
  };
  const auto start = Clock::now();
  const auto stop_sending = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  const auto give_up = stop_sending + std::chrono::seconds(5);
  auto now = start;
  auto sending = [&] { return next_seq < o.round_trips && now < stop_sending; };
  auto take_echo = [&] {
    NetDatagram datagram;
    if (!cReader.get_data(datagram)) return false;
    ok = is_echo_of(datagram, expect_seq, o.size) && ok;
    ++expect_seq;
    return true;
  };
  if (o.burst) {
    while (ok && (sending() || expect_seq < next_seq) && now < give_up) {
      while (sending() && next_seq - expect_seq < static_cast<uint64_t>(o.window)) send_next();
      while (cReader.data_available()) take_echo();
      now = Clock::now();
    }
  } else {
    for (int i = 0; i < o.window && sending(); ++i) send_next();
    while (ok && expect_seq < next_seq && now < give_up) {
      if (cReader.data_available() && take_echo() && sending()) send_next();
      now = Clock::now();
    }
  }
  const double secs = std::chrono::duration<double>(now - start).count();
  ok = ok && expect_seq == next_seq;
  std::printf(
      "pingpong: backend=%s pattern=%s window=%d size=%d round_trips=%llu seconds=%.2f round_trips_per_sec=%.0f "
      "result=%s\n",
      std::string(to_string(cManager->get_backend())).c_str(), o.burst ? "burst" : "drain", o.window, o.size,
      static_cast<unsigned long long>(expect_seq), secs, static_cast<double>(expect_seq) / secs, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
