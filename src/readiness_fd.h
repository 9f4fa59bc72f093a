// Internal. What the three get_readiness_fd() methods share: the engine makes the descriptor
// (Engine::readiness_fd); a failure is recorded for last_error() with the reason spelled out.
#pragma once

#include <string>
#include <system_error>

#include "engine/engine.h"
#include "error_record.h"

namespace queuednet::detail {

inline int readiness_fd_for(Engine &engine, QueueSignal &signal, const char *method) {
  std::error_code error;
  const int fd = engine.readiness_fd(signal, &error);
  if (fd >= 0) return fd;
  const std::string why = error == std::errc::operation_not_supported
                              ? "polled mode on the poll backend has no descriptor to wait on (use worker threads, "
                                "or the epoll or io_uring backend)"
                              : error.message();
  set_last_error(error, std::string(method) + ": " + why);
  return -1;
}

}  // namespace queuednet::detail
