// Internal, for the façades: the public BackendKind to the engine's BackendId and back.
#pragma once

#include "backends/backend.h"
#include "queuednet/backend_kind.h"

namespace queuednet::detail {

static_assert(static_cast<int>(BackendKind::automatic) == static_cast<int>(BackendId::automatic) &&
              static_cast<int>(BackendKind::io_uring) == static_cast<int>(BackendId::io_uring) &&
              static_cast<int>(BackendKind::epoll) == static_cast<int>(BackendId::epoll) &&
              static_cast<int>(BackendKind::poll) == static_cast<int>(BackendId::poll));

inline BackendId to_backend_id(BackendKind kind) { return static_cast<BackendId>(kind); }
inline BackendKind to_backend_kind(BackendId id) { return static_cast<BackendKind>(id); }

}  // namespace queuednet::detail
