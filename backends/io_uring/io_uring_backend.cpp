// Internal. io_uring backend (in progress).
#include "backends/backend.h"

namespace queuednet::detail {

std::unique_ptr<Backend> make_io_uring_backend(std::string *error) {
  *error = "io_uring backend not built yet";
  return nullptr;
}

}  // namespace queuednet::detail
