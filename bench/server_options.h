// The command line of the servers in bench/ written without queuednet (baseline-epoll-echo,
// baseline-uring-echo, baseline-udp-echo, baseline-epoll-broadcast, peer-asio-echo,
// peer-libuv-echo):
//   --port P [--host H] [--threads N] [--duration SECONDS] [--framed, where taken]
#pragma once

#include <string>

#include "cli_args.h"

namespace bench {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = -1;        // required; 0: an ephemeral port
  int threads = 1;      // 1..256
  double duration = 0;  // seconds; 0: until SIGINT/SIGTERM
  bool framed = false;
};

// Reads the whole command line through `args`; --framed is an unknown option unless
// `takes_framed`.
inline ServerOptions parse_server_options(Args &args, bool takes_framed = false) {
  ServerOptions o;
  while (args.next()) {
    if (args.is("--port")) o.port = args.integer(0, 65535);
    else if (args.is("--host")) o.host = args.value();
    else if (args.is("--threads")) o.threads = args.integer(1, 256);
    else if (args.is("--duration")) o.duration = args.real(0, 1e7);
    else if (takes_framed && args.is("--framed")) o.framed = true;
    else args.unknown();
  }
  if (o.port < 0) args.fail("--port is required");
  return o;
}

}  // namespace bench
