// The server a load program drives, as its command line names it: --port P (1..65535,
// required) and --host H (a dotted IPv4 address; default 127.0.0.1).
#pragma once

#include <netinet/in.h>

#include <string>

#include "cli_args.h"
#include "tcp_connect.h"

namespace bench {

// Reads the current option into host or port if it is --host or --port; false if it is neither.
inline bool take_target_option(Args &args, std::string &host, int &port) {
  if (args.is("--port")) port = args.integer(1, 65535);
  else if (args.is("--host")) host = args.value();
  else return false;
  return true;
}

// Once every option is read: --port is required, and --host must be an IPv4 address.
inline void check_target(const Args &args, const std::string &host, int port) {
  sockaddr_in unused{};
  if (port < 0) args.fail("--port is required");
  if (!ipv4_address(host, port, unused)) args.fail("--host: '" + host + "' is not an IPv4 address");
}

}  // namespace bench
