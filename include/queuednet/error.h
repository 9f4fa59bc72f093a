/// @file
/// Public header. Errors of queuednet: the error codes, the exception thrown on a bad datagram
/// read, and the per-thread "last error" that explains a nullptr/false return.
///
/// Error model: the Panda3D-compatible calls keep their return conventions (nullptr, false) and
/// record why they failed in last_error() of the calling thread; reads past the end of a datagram
/// throw DatagramError. Nothing fails silently: each failure is also logged once.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace queuednet {

/// Library-specific failure reasons. OS failures use std::generic_category (errno values).
enum class errc {
  ok = 0,
  datagram_too_large,    ///< payload larger than the framing allows (or than the set maximum)
  host_not_found,        ///< getaddrinfo could not resolve the name
  connect_timeout,       ///< no resolved address accepted the connection within the timeout
  output_buffer_full,    ///< the connection's output buffer is past its high-water mark
  slow_consumer,         ///< output passed the hard limit; the connection was closed
  connection_closed,     ///< the connection was closed or reset
  wrong_connection_kind, ///< e.g. a TCP send on a UDP connection
  already_added,         ///< the connection is already in a reader or listener
  not_found,             ///< the connection is not known to this object
  bad_frame,             ///< a malformed frame arrived (oversized length, bad checksum)
  shut_down,             ///< the object was shut down
  invalid_argument,      ///< a parameter outside its documented range
};

/// Thread contract: any thread.
const std::error_category &queuednet_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

/// Why the last failing call on this thread failed: code plus a human-readable message naming
/// the operation and its arguments. Thread contract: thread-local; each thread sees its own.
struct Error {
  std::error_code code;
  std::string message;
};

/// The last error recorded on the calling thread (code is empty if none since clear_last_error).
/// Thread contract: any thread; returns the calling thread's own record.
const Error &last_error() noexcept;
/// Forget the calling thread's last error. Thread contract: any thread.
void clear_last_error() noexcept;

/// Thrown by DatagramIterator when a read would pass the end of the datagram, and by
/// Datagram::add_string / add_blob when the value does not fit the 16-bit length prefix.
/// what() says what was wanted, at which offset, and how much remained.
class DatagramError : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};

}  // namespace queuednet

// Hidden from the API reference: doxygen cannot place a specialisation of a std template.
/// @cond
template <>
struct std::is_error_code_enum<queuednet::errc> : std::true_type {};
/// @endcond
