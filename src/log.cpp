// Internal. See log.h.
#include "log.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace queuednet::detail {
namespace {

LogLevel level_from_env() {
  const char *v = std::getenv("QUEUEDNET_LOG");
  if (v == nullptr) return LogLevel::warning;
  if (std::strcmp(v, "none") == 0) return LogLevel::none;
  if (std::strcmp(v, "error") == 0) return LogLevel::error;
  if (std::strcmp(v, "info") == 0) return LogLevel::info;
  if (std::strcmp(v, "debug") == 0) return LogLevel::debug;
  return LogLevel::warning;
}

const char *name(LogLevel level) {
  switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
    case LogLevel::none: break;
  }
  return "";
}

}  // namespace

bool log_enabled(LogLevel level) noexcept {
  static const LogLevel threshold = level_from_env();
  return level != LogLevel::none && level <= threshold;
}

void log(LogLevel level, std::string_view message) noexcept {
  if (!log_enabled(level)) return;
  std::string line = "queuednet ";
  line += name(level);
  line += ": ";
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace queuednet::detail
