/// @file
/// Public header. Which kernel interface the event loops use.
#pragma once

#include <optional>
#include <string_view>

namespace queuednet {

enum class BackendKind {
  automatic,  ///< io_uring, else epoll, else poll(); QUEUEDNET_BACKEND overrides
  io_uring,
  epoll,
  poll,
};

/// "auto", "io_uring", "epoll", "poll". Thread contract: any thread.
std::string_view to_string(BackendKind kind) noexcept;
/// Inverse of to_string; nullopt for anything else. Thread contract: any thread.
std::optional<BackendKind> parse_backend_kind(std::string_view name) noexcept;

}  // namespace queuednet
