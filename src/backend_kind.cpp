// Internal. The public BackendKind and the engine's BackendId (backends/backend.h), which
// mirror each other enumerator for enumerator, and the public names.
#include "backend_kind_map.h"

namespace queuednet {

std::string_view to_string(BackendKind kind) noexcept { return detail::backend_name(detail::to_backend_id(kind)); }

std::optional<BackendKind> parse_backend_kind(std::string_view name) noexcept {
  const auto id = detail::parse_backend_name(name);
  if (!id) return std::nullopt;
  return detail::to_backend_kind(*id);
}

}  // namespace queuednet
