// Internal. Minimal leveled logging to stderr. The level comes from QUEUEDNET_LOG
// (none|error|warning|info|debug; default warning), read once.
#pragma once

#include <string_view>

namespace queuednet::detail {

enum class LogLevel { none = 0, error = 1, warning = 2, info = 3, debug = 4 };

bool log_enabled(LogLevel level) noexcept;
// Thread contract: any thread; each call writes one whole line.
void log(LogLevel level, std::string_view message) noexcept;

}  // namespace queuednet::detail
