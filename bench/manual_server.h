// What queuednet-echo-server and queuednet-broadcast-server share, the two written with the
// public API as the Panda3D manual's server is: the options both take, the manual's four
// objects (manager, listener, reader, writer) with the sockets they serve, the manual's loop,
// and their "stats:" lines.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli_args.h"
#include "queuednet/queuednet.h"
#include "server_process.h"

namespace bench {

// The options both servers take.
struct ManualOptions {
  std::string host = "127.0.0.1";
  int port = -1;    // required; 0: an ephemeral port
  int threads = 0;  // 0: polled mode
  queuednet::BackendKind backend = queuednet::BackendKind::automatic;
  double stats = 0;     // seconds between "stats:" lines; 0: none
  double duration = 0;  // 0: until SIGINT/SIGTERM
};

// Reads the current option into `o` if it is one of ManualOptions; false if it is not.
inline bool take_manual_option(Args &args, ManualOptions &o) {
  if (args.is("--port")) o.port = args.integer(0, 65535);
  else if (args.is("--host")) o.host = args.value();
  else if (args.is("--threads")) o.threads = args.integer(0, 256);
  else if (args.is("--stats")) o.stats = args.real(0.01, 86400);
  else if (args.is("--duration")) o.duration = args.real(0, 1e7);
  else if (args.is("--backend")) {
    const auto v = args.value();
    const auto kind = queuednet::parse_backend_kind(v);
    if (!kind) args.fail("--backend: '" + std::string(v) + "' is not auto, io_uring, epoll or poll");
    o.backend = *kind;
  } else {
    return false;
  }
  return true;
}

// Reads the whole command line into `o`: the options of ManualOptions, and those that
// take_other() takes (it reads the current option of `args` and returns true, or returns false
// for an unknown one). --port is required, and --host must not be empty.
template <class TakeOther>
void parse_manual_options(Args &args, ManualOptions &o, TakeOther &&take_other) {
  while (args.next()) {
    if (!take_manual_option(args, o) && !take_other()) args.unknown();
  }
  if (o.port < 0) args.fail("--port is required");
  if (o.host.empty()) args.fail("--host must not be empty");
}

// A server's manager, listener, reader and writer. Constructing it also sets the process up:
// the library's own warnings off unless QUEUEDNET_LOG is set (the program reports failures,
// one line each), and prepare_server_process() (SIGINT and SIGTERM stop run()). A failure to
// start prints one line on stderr and exits: 2 for a --host that does not resolve, 1
// otherwise.
class ManualServer {
  // First: the listener, reader and writer are built on the manager.
  const char *program_;
  std::unique_ptr<queuednet::QueuedConnectionManager> manager_;

 public:
  ManualServer(const char *program, int threads, queuednet::BackendKind backend)
      : program_(program), manager_(open_manager(program, threads, backend)), listener(manager_.get(), 0),
        reader(manager_.get(), 0), writer(manager_.get(), 0) {
    // Panda3D's default bound (50,000) drops datagrams once more are in flight than that, e.g.
    // 5,000 clients with 16 outstanding each. A server must queue all it has accepted.
    reader.set_max_queue_size(1 << 24);
  }

  queuednet::QueuedConnectionManager &manager() { return *manager_; }
  queuednet::QueuedConnectionListener listener;
  queuednet::QueuedConnectionReader reader;
  queuednet::ConnectionWriter writer;

  // Listens on TCP host:port; returns the port.
  int listen_or_exit(const std::string &host, int port) {
    auto c = open_or_exit("listen on TCP", host, port, [&] {
      return manager_->open_TCP_server_rendezvous(host, static_cast<uint16_t>(port), 4096);
    });
    listener.add_connection(c);
    return c->get_address().get_port();
  }

  // Reads UDP datagrams on host:port too; returns the port.
  int bind_udp_or_exit(const std::string &host, int port) {
    auto c = open_or_exit("bind UDP", host, port,
                          [&] { return manager_->open_UDP_connection(host, static_cast<uint16_t>(port)); });
    reader.add_connection(c);
    return c->get_address().get_port();
  }

  // Prints "listening on HOST:PORT backend=B threads=N`more`" and flushes it.
  void print_listening(const std::string &host, int port, const std::string &more = "") {
    std::printf("listening on %s:%d backend=%s threads=%d%s\n", host.c_str(), port,
                std::string(queuednet::to_string(manager_->get_backend())).c_str(), manager_->get_num_threads(),
                more.c_str());
    std::fflush(stdout);
  }

  // Turns the loop until SIGINT/SIGTERM or `duration` seconds (0: no limit), calling
  // on_turn(seconds()) before each turn().
  template <class OnTurn, class HandleSome, class BeforeClose>
  void run(double duration, OnTurn &&on_turn, HandleSome &&handle_some, BeforeClose &&before_close) {
    start_ = std::chrono::steady_clock::now();
    for (;;) {
      const double elapsed = seconds();
      if (g_stop.load() || (duration > 0 && elapsed >= duration)) return;
      on_turn(elapsed);
      turn(handle_some, before_close);
    }
  }

  // One turn of the manual's loop: accepts, has handle_some() answer what is queued (it returns
  // how many datagrams it took), and closes the connections whose peer hung up, calling
  // before_close(connection) first; waits up to 10 ms when there was nothing to do.
  template <class HandleSome, class BeforeClose>
  void turn(HandleSome &&handle_some, BeforeClose &&before_close) {
    bool busy = false;
    std::shared_ptr<queuednet::Connection> c;
    while (listener.new_connection_available() && listener.get_new_connection(c)) {
      reader.add_connection(c);
      busy = true;
    }
    // A reset is reported after every datagram read from that connection was queued, but the
    // datagrams may still wait here: collect the resets, answer what is queued, and only then
    // close them (a peer that sends and half-closes at once gets every answer).
    std::vector<std::shared_ptr<queuednet::Connection>> reset;
    while (manager_->reset_connection_available() && manager_->get_reset_connection(c)) reset.push_back(c);
    // One consumer: a second one would race the first and reorder a connection's answers.
    // Polled mode: wait_for_data turns the loop, blocking until socket activity. Threaded
    // mode: it sleeps until a worker queues a datagram.
    if (reader.data_available()) busy = handle_some() > 0 || busy;
    if (!reset.empty()) {
      // What is queued now holds their last datagrams (the loop queued them before the reset).
      for (size_t left = static_cast<size_t>(reader.get_current_queue_size()); left > 0;) {
        const size_t handled = handle_some();
        if (handled == 0) break;
        left -= std::min(left, handled);
      }
      for (auto &gone : reset) {
        before_close(gone);
        manager_->close_connection(gone);  // the answers are queued; they go out first
      }
      busy = true;
    }
    if (!busy) reader.wait_for_data(0.01);
  }

  // Seconds since run() began.
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  static std::unique_ptr<queuednet::QueuedConnectionManager> open_manager(const char *program, int threads,
                                                                          queuednet::BackendKind backend) {
    setenv("QUEUEDNET_LOG", "error", 0);
    prepare_server_process();
    try {
      return std::make_unique<queuednet::QueuedConnectionManager>(threads, backend);
    } catch (const std::exception &e) {
      std::fprintf(stderr, "%s: %s\n", program, e.what());
      std::exit(1);
    }
  }

  // The socket open() opens, or one line "PROGRAM: cannot WHAT HOST:PORT: reason" and exit 1
  // (for a host that does not resolve, "PROGRAM: --host: cannot resolve 'HOST'" and exit 2).
  template <class Open>
  std::shared_ptr<queuednet::Connection> open_or_exit(const char *what, const std::string &host, int port,
                                                      Open &&open) {
    queuednet::clear_last_error();
    std::shared_ptr<queuednet::Connection> c = open();
    if (c) return c;
    const queuednet::Error &e = queuednet::last_error();
    if (e.code == make_error_code(queuednet::errc::host_not_found)) {
      std::fprintf(stderr, "%s: --host: cannot resolve '%s' (--help for usage)\n", program_, host.c_str());
      std::exit(2);
    }
    std::fprintf(stderr, "%s: cannot %s %s:%d: %s\n", program_, what, host.c_str(), port, e.code.message().c_str());
    std::exit(1);
  }

  std::chrono::steady_clock::time_point start_;
};

// A server's "stats:" lines, one per `interval` seconds (none when 0), each with rates since
// the previous one: print(before, span) prints a line from the counters now, those at the
// previous line (`before`) and the seconds between (`span`).
template <class Counters>
class StatsLines {
 public:
  explicit StatsLines(double interval) : interval_(interval) {}

  template <class Print>
  void maybe_print(double elapsed, const Counters &now, Print &&print) {
    if (interval_ <= 0 || elapsed < next_) return;
    print(before_, elapsed - before_at_);
    std::fflush(stdout);
    before_ = now;
    before_at_ = elapsed;
    while (next_ <= elapsed) next_ += interval_;
  }

 private:
  double interval_;
  double next_ = interval_;
  double before_at_ = 0;
  Counters before_;
};

}  // namespace bench
