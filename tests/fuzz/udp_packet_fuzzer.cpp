// libFuzzer target: the UDP packet header (src/framing/frame_encoder). For any payload,
// append_udp_packet then verify_udp_packet gives the payload back (checksum and raw modes);
// for any received bytes, verify_udp_packet either refuses them (short, bad checksum) or
// accepts a payload whose re-encoding is exactly the bytes received; the checksum is the sum of
// the payload bytes modulo 65536, little-endian, as an independent computation here says.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "framing/frame_config.h"
#include "framing/frame_encoder.h"

namespace {

using queuednet::detail::FrameConfig;

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "udp_packet_fuzzer: invariant broken: %s\n", what);
  std::abort();
}
#define CHECK(cond) \
  do {              \
    if (!(cond)) fail(#cond); \
  } while (0)

uint16_t reference_sum(const uint8_t *data, size_t size) {
  unsigned sum = 0;
  for (size_t i = 0; i < size; ++i) sum = (sum + data[i]) & 0xFFFFu;
  return static_cast<uint16_t>(sum);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (const bool raw : {false, true}) {
    FrameConfig config;
    config.raw = raw;

    // Encode the input as a payload, then verify it.
    std::vector<unsigned char> packet{0xAA};  // appends after what is there
    queuednet::detail::append_udp_packet(packet, data, size, config);
    CHECK(packet.size() == 1 + size + (raw ? 0 : 2));
    CHECK(packet[0] == 0xAA);
    if (!raw) {
      const uint16_t sum = reference_sum(data, size);
      CHECK(packet[1] == (sum & 0xFF) && packet[2] == (sum >> 8));
    }
    const auto payload = queuednet::detail::verify_udp_packet(packet.data() + 1, packet.size() - 1, config);
    CHECK(payload.has_value());
    CHECK(payload->size() == size);
    CHECK(std::vector<unsigned char>(payload->begin(), payload->end()) == std::vector<unsigned char>(data, data + size));

    // The input as received bytes.
    const auto got = queuednet::detail::verify_udp_packet(data, size, config);
    if (raw) {
      CHECK(got.has_value() && got->data() == data && got->size() == size);
      continue;
    }
    const bool valid = size >= 2 && (data[0] | (data[1] << 8)) == reference_sum(data + 2, size - 2);
    CHECK(got.has_value() == valid);
    if (valid) {
      CHECK(got->data() == data + 2 && got->size() == size - 2);
      std::vector<unsigned char> again;
      queuednet::detail::append_udp_packet(again, got->data(), got->size(), config);
      CHECK(again == std::vector<unsigned char>(data, data + size));
    }
  }
  return 0;
}
