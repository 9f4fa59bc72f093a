// Internal. See tcp_frame_decoder.h.
#include "framing/tcp_frame_decoder.h"

namespace queuednet::detail {

uint64_t decode_length(const unsigned char *header, int header_size) {
  uint64_t v = 0;
  for (int i = 0; i < header_size; ++i) v |= static_cast<uint64_t>(header[i]) << (8 * i);
  return v;
}

}  // namespace queuednet::detail
