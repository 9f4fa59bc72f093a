// queuednet-broadcast-server: the Panda3D manual's server loop as a chat room. Written with the
// public API exactly as bench/echo_server.cpp (manager, listener, reader, writer); the wire
// protocol is in broadcast_wire.h. Each data datagram goes to every member of its sender's
// room, one cWriter.send per member, as the manual's
//   for aClient in activeConnections: cWriter.send(datagram, aClient)
//
// Prints "listening on HOST:PORT backend=B threads=N" once it accepts connections, one
// "stats:" line per --stats interval, and on SIGINT/SIGTERM or after --duration exits 0 with a
// "summary:" line.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "broadcast_wire.h"
#include "cli_args.h"
#include "manual_server.h"
#include "queuednet/queuednet.h"

using namespace queuednet;

namespace {

constexpr const char *kProgram = "queuednet-broadcast-server";
constexpr const char *kUsage =
    "usage: queuednet-broadcast-server --port P [options]\n"
    "Broadcast rooms: a client's first datagram 'J' + uint32 room joins that room (and comes back\n"
    "as the ack); every 'D' datagram is sent to each member of its sender's room, sender included.\n"
    "\n"
    "  --port P             TCP port to listen on (0: an ephemeral port, printed at start)\n"
    "  --host H             address to listen on (default 127.0.0.1)\n"
    "  --threads N          0 = polled mode (default), N = N worker threads (0..256)\n"
    "  --backend B          auto (default), io_uring, epoll or poll\n"
    "  --stats SECONDS      print a line of statistics every SECONDS\n"
    "  --duration SECONDS   stop after SECONDS (default: run until SIGINT/SIGTERM)\n"
    "  -h, --help           this text\n"
    "\n"
    "Output: 'listening on HOST:PORT backend=B threads=N' once ready; with --stats\n"
    "'stats: t=... in/s=... sent/s=... rooms=... members=... open=... queued_bytes=...' per\n"
    "interval; 'summary: connections=... resets=... datagrams_in=... datagrams_sent=... joins=...\n"
    "bad=... refused=... dropped=... seconds=...' on exit. Exit status: 0 after a clean stop,\n"
    "1 when it cannot start, 2 on a bad argument.\n";

// Room id -> its members, and member -> its room. Touched only by the main loop's thread.
class Rooms {
 public:
  // Puts `c` in `room`, out of the room it was in.
  void join(const PointerToConnection &c, uint32_t room) {
    leave(c.get());
    rooms_[room].push_back(c);
    room_of_[c.get()] = room;
    ++members_;
  }

  void leave(const Connection *c) {
    const auto at = room_of_.find(c);
    if (at == room_of_.end()) return;
    const auto room = rooms_.find(at->second);
    auto &members = room->second;
    members.erase(std::find(members.begin(), members.end(), c));
    if (members.empty()) rooms_.erase(room);
    room_of_.erase(at);
    --members_;
  }

  // The members of `c`'s room; nullptr if it joined none.
  const std::vector<PointerToConnection> *room_of(const Connection *c) const {
    const auto at = room_of_.find(c);
    return at == room_of_.end() ? nullptr : &rooms_.find(at->second)->second;
  }

  size_t rooms() const { return rooms_.size(); }
  size_t members() const { return members_; }

 private:
  std::unordered_map<uint32_t, std::vector<PointerToConnection>> rooms_;
  std::unordered_map<const Connection *, uint32_t> room_of_;
  size_t members_ = 0;
};

// Counted on the main loop's one thread.
struct Counters {
  uint64_t in = 0, sent = 0, joins = 0, bad = 0, refused = 0;
};

void send_to(ConnectionWriter &writer, const NetDatagram &dg, const PointerToConnection &to, Counters &n) {
  // block: a broadcast is queued past the high-water mark; only the hard limit refuses it.
  if (writer.send(dg, to, true)) ++n.sent;
  else ++n.refused;
}

// Answers what is queued now: joins are recorded and acked, data goes to the sender's room;
// returns how many datagrams it handled.
size_t broadcast_some(QueuedConnectionReader &reader, ConnectionWriter &writer, Rooms &rooms, Counters &n) {
  size_t handled = 0;
  NetDatagram dg;
  while (handled < 4096 && reader.get_data(dg)) {
    ++handled;
    ++n.in;
    const PointerToConnection from = dg.get_connection();
    const auto *bytes = static_cast<const unsigned char *>(dg.get_data());
    const size_t size = dg.get_length();
    const std::vector<PointerToConnection> *room = nullptr;
    if (size == broadcast::kJoinSize && bytes[0] == broadcast::kJoin) {
      DatagramIterator it(dg);
      it.get_uint8();
      rooms.join(from, it.get_uint32());
      ++n.joins;
      send_to(writer, dg, from, n);
    } else if (size >= broadcast::kDataHeaderSize && bytes[0] == broadcast::kData &&
               (room = rooms.room_of(from.get())) != nullptr) {
      for (const PointerToConnection &member : *room) send_to(writer, dg, member, n);
    } else {
      ++n.bad;
    }
  }
  return handled;
}

// One "stats:" line at `elapsed` seconds: rates over the `span` seconds since the counters
// were `before`.
void print_stats(double elapsed, double span, const Counters &n, const Counters &before, const Rooms &rooms,
                 const ConnectionManager &manager) {
  const ManagerStatistics m = manager.get_statistics();
  std::printf("stats: t=%.1f in/s=%.0f sent/s=%.0f rooms=%zu members=%zu open=%llu queued_bytes=%zu\n", elapsed,
              static_cast<double>(n.in - before.in) / span, static_cast<double>(n.sent - before.sent) / span,
              rooms.rooms(), rooms.members(), static_cast<unsigned long long>(m.connections_open), m.bytes_queued);
}

}  // namespace

int main(int argc, char **argv) {
  bench::Args args(argc, argv, kProgram, kUsage);
  bench::ManualOptions opt;
  bench::parse_manual_options(args, opt, [] { return false; });
  bench::ManualServer server(kProgram, opt.threads, opt.backend);  // exits on failure
  server.print_listening(opt.host, server.listen_or_exit(opt.host, opt.port));

  Rooms rooms;
  Counters n;
  bench::StatsLines<Counters> stats(opt.stats);
  const auto print = [&](double elapsed) {
    stats.maybe_print(elapsed, n, [&](const Counters &before, double span) {
      print_stats(elapsed, span, n, before, rooms, server.manager());
    });
  };
  const auto broadcast = [&] { return broadcast_some(server.reader, server.writer, rooms, n); };
  // A reset connection's last datagrams are broadcast before it leaves its room and closes.
  const auto leave = [&](const std::shared_ptr<Connection> &gone) { rooms.leave(gone.get()); };
  server.run(opt.duration, print, broadcast, leave);
  const double secs = server.seconds();
  const ManagerStatistics m = server.manager().get_statistics();
  std::printf("summary: connections=%llu resets=%llu datagrams_in=%llu datagrams_sent=%llu joins=%llu bad=%llu "
              "refused=%llu dropped=%llu seconds=%.2f\n",
              static_cast<unsigned long long>(m.connections_accepted), static_cast<unsigned long long>(m.connections_reset),
              static_cast<unsigned long long>(n.in), static_cast<unsigned long long>(n.sent),
              static_cast<unsigned long long>(n.joins), static_cast<unsigned long long>(n.bad),
              static_cast<unsigned long long>(n.refused), static_cast<unsigned long long>(m.queue_drops), secs);
  return 0;
}
