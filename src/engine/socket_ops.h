// Internal. Socket creation and system-call helpers used by the manager and the loops. Every
// socket is non-blocking and close-on-exec. Errors come back as -errno or std::error_code.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <system_error>

#include "engine/socket_address.h"

namespace queuednet::detail {

// The socket's peer or local address; 0.0.0.0:0 when the call fails.
SocketAddress peer_address(int fd);
SocketAddress local_address(int fd);

// A listening TCP socket bound to `addr` (SO_REUSEADDR, as Panda3D; SO_REUSEPORT too when
// `reuse_port`). `dual_stack`: bind [::] with IPV6_V6ONLY off, falling back to 0.0.0.0 where
// IPv6 is unavailable. Returns fd or -1.
int open_tcp_listener(const SocketAddress &addr, bool dual_stack, int backlog, bool reuse_port, std::error_code &ec);

// Non-blocking connect to one address, waiting at most timeout_ms. Returns fd or -1.
int connect_tcp(const SocketAddress &addr, int timeout_ms, std::error_code &ec);

// A UDP socket. port > 0 binds it (to `addr`, or dual-stack any when `addr` is null);
// port == 0 leaves it unbound (dual-stack). SO_REUSEPORT when `reuse_port`. Returns fd or -1.
int open_udp(const SocketAddress *addr, int port, bool for_broadcast, bool reuse_port, std::error_code &ec);

// The socket address to send to `to` from a socket of `socket_family`: an IPv4 destination is
// mapped (::ffff:a.b.c.d) for a dual-stack AF_INET6 socket. Returns its length. A sockaddr_in6
// holds a sockaddr_in as well.
socklen_t destination_for(const SocketAddress &to, int socket_family, sockaddr_in6 &out);

// setsockopt of an int value; true on success.
bool set_int_option(int fd, int level, int name, int value, std::error_code &ec);

// Bytes (and the FIN) a TCP socket sent that its peer has not acknowledged yet; 0 on error.
size_t unacknowledged_bytes(int fd);

// Bytes a socket has received and nobody read yet; 0 on error.
size_t unread_bytes(int fd);

// Reads and drops what a socket has received, without waiting (at most a few MiB).
void discard_input(int fd);

}  // namespace queuednet::detail
