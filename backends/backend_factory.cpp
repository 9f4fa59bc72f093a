// Internal. Backend selection: forced kind, QUEUEDNET_BACKEND, or the probe io_uring → epoll → poll.
#include <atomic>
#include <cstdlib>

#include "backends/backend.h"
#include "log.h"

namespace queuednet::detail {

std::string_view backend_name(BackendId id) noexcept {
  switch (id) {
    case BackendId::automatic: return "auto";
    case BackendId::io_uring: return "io_uring";
    case BackendId::epoll: return "epoll";
    case BackendId::poll: return "poll";
  }
  return "auto";
}

std::optional<BackendId> parse_backend_name(std::string_view name) noexcept {
  for (BackendId id : {BackendId::automatic, BackendId::io_uring, BackendId::epoll, BackendId::poll}) {
    if (name == backend_name(id)) return id;
  }
  return std::nullopt;
}

namespace {

std::unique_ptr<Backend> make_one(BackendId kind, const BackendOptions &options, std::string *error) {
  switch (kind) {
    case BackendId::io_uring: return make_io_uring_backend(options, error);
    case BackendId::epoll: return make_epoll_backend(error);
    case BackendId::poll: return make_poll_backend(error);
    case BackendId::automatic: break;
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

std::unique_ptr<Backend> make_backend(BackendId requested, const BackendOptions &options, std::string *error) {
  if (requested == BackendId::automatic) {
    if (const char *env = std::getenv("QUEUEDNET_BACKEND"); env != nullptr && *env != '\0') {
      const auto forced = parse_backend_name(env);
      if (!forced) {
        *error = std::string("QUEUEDNET_BACKEND='") + env + "' is not one of auto, io_uring, epoll, poll";
        return nullptr;
      }
      requested = *forced;
    }
  }
  if (requested != BackendId::automatic) {
    auto backend = make_one(requested, options, error);
    if (!backend) *error = std::string(backend_name(requested)) + " backend unavailable: " + *error;
    return backend;
  }
  for (BackendId k : {BackendId::io_uring, BackendId::epoll, BackendId::poll}) {
    std::string why;
    if (auto backend = make_one(k, options, &why)) return backend;
    static std::atomic<bool> logged[4];
    if (!logged[static_cast<int>(k)].exchange(true)) {  // one line per skipped backend per process
      log(LogLevel::warning, std::string(backend_name(k)) + " backend unavailable, falling back: " + why);
    }
  }
  *error = "no backend could start";
  return nullptr;
}

}  // namespace queuednet::detail
