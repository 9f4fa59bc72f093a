// Internal. See frame_encoder.h.
#include "framing/frame_encoder.h"

namespace queuednet::detail {

bool append_tcp_frame(std::vector<unsigned char> &out, const unsigned char *data, size_t size,
                      const FrameConfig &config) {
  if (size > max_tcp_payload(config)) return false;
  const size_t at = out.size();
  out.resize(at + tcp_header_bytes(config) + size);
  write_tcp_frame(out.data() + at, data, size, config);
  return true;
}

uint16_t udp_checksum(const unsigned char *data, size_t size) {
  uint32_t sum = 0;
  for (size_t i = 0; i < size; ++i) sum += data[i];
  return static_cast<uint16_t>(sum);
}

void append_udp_packet(std::vector<unsigned char> &out, const unsigned char *data, size_t size,
                       const FrameConfig &config) {
  if (!config.raw) {
    const uint16_t sum = udp_checksum(data, size);
    out.push_back(static_cast<unsigned char>(sum));
    out.push_back(static_cast<unsigned char>(sum >> 8));
  }
  out.insert(out.end(), data, data + size);
}

std::optional<std::span<const unsigned char>> verify_udp_packet(const unsigned char *data, size_t size,
                                                                const FrameConfig &config) {
  if (config.raw) return std::span<const unsigned char>(data, size);
  if (size < 2) return std::nullopt;
  const uint16_t announced = static_cast<uint16_t>(data[0] | (data[1] << 8));
  if (announced != udp_checksum(data + 2, size - 2)) return std::nullopt;
  return std::span<const unsigned char>(data + 2, size - 2);
}

}  // namespace queuednet::detail
