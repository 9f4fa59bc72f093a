// Internal. Recording the calling thread's last error (see queuednet/error.h).
#pragma once

#include <cerrno>
#include <string>
#include <system_error>

#include "queuednet/error.h"

namespace queuednet::detail {

// Records the error for last_error() and logs it once at warning level.
void set_last_error(std::error_code code, std::string message);
// Records the error without logging (for expected, caller-visible conditions such as a full
// output buffer, which a server may hit thousands of times a second).
void set_last_error_quiet(std::error_code code, std::string message);

inline std::error_code errno_code(int err) { return {err, std::generic_category()}; }

}  // namespace queuednet::detail
