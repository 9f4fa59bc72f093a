// Internal. Backend selection: forced kind, QUEUEDNET_BACKEND, or the probe io_uring → epoll → poll.
#include <atomic>
#include <cstdlib>

#include "backends/backend.h"
#include "log.h"

namespace queuednet {

std::string_view to_string(BackendKind kind) noexcept {
  switch (kind) {
    case BackendKind::automatic: return "auto";
    case BackendKind::io_uring: return "io_uring";
    case BackendKind::epoll: return "epoll";
    case BackendKind::poll: return "poll";
  }
  return "auto";
}

std::optional<BackendKind> parse_backend_kind(std::string_view name) noexcept {
  for (BackendKind k : {BackendKind::automatic, BackendKind::io_uring, BackendKind::epoll, BackendKind::poll}) {
    if (name == to_string(k)) return k;
  }
  return std::nullopt;
}

namespace detail {
namespace {

std::unique_ptr<Backend> make_one(BackendKind kind, const BackendOptions &options, std::string *error) {
  switch (kind) {
    case BackendKind::io_uring: return make_io_uring_backend(options, error);
    case BackendKind::epoll: return make_epoll_backend(error);
    case BackendKind::poll: return make_poll_backend(error);
    case BackendKind::automatic: break;
  }
  return nullptr;
}

}  // namespace

#ifndef QUEUEDNET_HAVE_LIBURING
// Configured without liburing (see CMakeLists.txt): the probe falls back to epoll.
std::unique_ptr<Backend> make_io_uring_backend(const BackendOptions &, std::string *error) {
  *error = "built without liburing";
  return nullptr;
}
#endif

std::unique_ptr<Backend> make_backend(BackendKind requested, const BackendOptions &options, std::string *error) {
  if (requested == BackendKind::automatic) {
    if (const char *env = std::getenv("QUEUEDNET_BACKEND"); env != nullptr && *env != '\0') {
      const auto forced = parse_backend_kind(env);
      if (!forced) {
        *error = std::string("QUEUEDNET_BACKEND='") + env + "' is not one of auto, io_uring, epoll, poll";
        return nullptr;
      }
      requested = *forced;
    }
  }
  if (requested != BackendKind::automatic) {
    auto backend = make_one(requested, options, error);
    if (!backend) *error = std::string(to_string(requested)) + " backend unavailable: " + *error;
    return backend;
  }
  for (BackendKind k : {BackendKind::io_uring, BackendKind::epoll, BackendKind::poll}) {
    std::string why;
    if (auto backend = make_one(k, options, &why)) return backend;
    static std::atomic<bool> logged[4];
    if (!logged[static_cast<int>(k)].exchange(true)) {  // one line per skipped backend per process
      log(LogLevel::warning, std::string(to_string(k)) + " backend unavailable, falling back: " + why);
    }
  }
  *error = "no backend could start";
  return nullptr;
}

}  // namespace detail
}  // namespace queuednet
