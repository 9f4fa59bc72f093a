// libFuzzer target: TcpFrameDecoder (src/framing) fed a byte stream in random pieces, for every
// framing (header 0, 2, 4, raw), with a sink that sometimes asks to stop (the rest of the piece
// is then fed again). Checks, against an independent split-free reference decode: the datagrams
// produced are exactly the reference's, in order; an oversize header is refused (with the
// announced length) at the same frame, never delivered; the bytes left buffered are exactly
// the incomplete tail; nothing larger than the maximum is ever delivered; a stop is obeyed at
// once and the consumed count is exact.
//
// Input layout (FuzzedDataProvider): framing choice, maximum datagram size, the stream, then
// per piece its length and when the sink stops (taken from the end of the input; once
// exhausted the rest goes in one piece, never stopped).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "framing/frame_config.h"
#include "framing/tcp_frame_decoder.h"

namespace {

using queuednet::detail::FrameConfig;
using queuednet::detail::TcpFrameDecoder;

using Bytes = std::vector<unsigned char>;

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "tcp_frame_decoder_fuzzer: invariant broken: %s\n", what);
  std::abort();
}
#define CHECK(cond) \
  do {              \
    if (!(cond)) fail(#cond); \
  } while (0)

struct Decoded {
  std::vector<Bytes> datagrams;
  bool refused = false;
  uint64_t announced = 0;
  size_t tail = 0;  // bytes of an incomplete last frame (header included)
};

// The reference: the whole stream at once, written from the wire format (docs/wire-format.md),
// sharing no code with the decoder.
Decoded reference_decode(const Bytes &stream, const FrameConfig &config) {
  Decoded out;
  const size_t h = static_cast<size_t>(config.header_size);
  size_t pos = 0;
  while (stream.size() - pos >= h) {
    uint64_t len = 0;
    for (size_t i = 0; i < h; ++i) len |= static_cast<uint64_t>(stream[pos + i]) << (8 * i);
    if (len > config.max_datagram_size) {
      out.refused = true;
      out.announced = len;
      return out;
    }
    if (stream.size() - pos - h < len) break;
    out.datagrams.emplace_back(stream.begin() + static_cast<ptrdiff_t>(pos + h),
                               stream.begin() + static_cast<ptrdiff_t>(pos + h + len));
    pos += h + static_cast<size_t>(len);
  }
  out.tail = stream.size() - pos;
  return out;
}

// The one place the fuzzer calls the decoder: if its sink contract changes, only this function
// changes. The sink asks to stop after `stop_after` datagrams (0: never); `stopped` says
// whether it did. With `take_held`, it takes (swaps out) every datagram the decoder assembled
// across feeds, as the event loop does, instead of copying it.
TcpFrameDecoder::Result feed_piece(TcpFrameDecoder &decoder, const unsigned char *data, size_t size,
                                   const FrameConfig &config, size_t stop_after, bool take_held,
                                   std::vector<Bytes> &out, bool &stopped) {
  size_t delivered = 0;
  stopped = false;
  return decoder.feed(data, size, config, [&](const unsigned char *p, size_t n, std::vector<unsigned char> *held) {
    CHECK(!stopped);  // nothing is delivered after the sink said stop
    CHECK(n <= config.max_datagram_size || config.stream_unframed());
    if (held != nullptr) {
      CHECK(held->size() == n && (n == 0 || held->data() == p));  // exactly the payload
    }
    if (held != nullptr && take_held) {
      Bytes taken;
      taken.swap(*held);
      out.push_back(std::move(taken));
    } else {
      out.emplace_back(p, p + n);
    }
    stopped = stop_after != 0 && ++delivered == stop_after;
    return !stopped;
  });
}

FrameConfig choose_config(FuzzedDataProvider &in) {
  FrameConfig config;
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: config.header_size = 0; break;
    case 1: config.header_size = 2; break;
    case 2: config.header_size = 4; break;
    default:
      config.header_size = in.ConsumeBool() ? 2 : 4;
      config.raw = true;
      break;
  }
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: config.max_datagram_size = in.ConsumeIntegralInRange<size_t>(0, 512); break;
    case 1: config.max_datagram_size = 0xFFFF; break;
    default: break;  // the library's default maximum
  }
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  const FrameConfig config = choose_config(in);
  const Bytes stream = in.ConsumeBytes<unsigned char>(in.ConsumeIntegralInRange<size_t>(0, in.remaining_bytes()));

  const bool take_held = (size & 1) != 0;  // either sink, without changing what inputs mean
  TcpFrameDecoder decoder;
  std::vector<Bytes> got;
  std::vector<Bytes> pieces;  // what was fed, for the unframed check
  TcpFrameDecoder::Result result;
  size_t pos = 0;
  int feeds = 0;
  while (pos < stream.size() || feeds == 0) {
    size_t n = stream.size() - pos;
    size_t stop_after = 0;
    if (in.remaining_bytes() > 0 && feeds < 4096) {
      n = in.ConsumeIntegralInRange<size_t>(0, n);
      stop_after = in.ConsumeIntegralInRange<size_t>(0, 3);
    }
    pieces.emplace_back(stream.begin() + static_cast<ptrdiff_t>(pos), stream.begin() + static_cast<ptrdiff_t>(pos + n));
    // A sink that stops leaves the rest of the piece unconsumed: it is fed again, as the
    // event loop does once the reader has room.
    size_t done = 0;
    do {
      bool stopped = false;
      result = feed_piece(decoder, stream.data() + pos + done, n - done, config, stop_after, take_held, got, stopped);
      CHECK(result.consumed <= n - done);
      if (!result.ok) break;
      if (!stopped) CHECK(result.consumed == n - done);
      if (result.consumed < n - done) CHECK(result.consumed > 0);  // a stop still makes progress
      done += result.consumed;
    } while (done < n);
    pos += n;
    ++feeds;
    if (!result.ok) break;  // the decoder must not be fed again
  }

  if (config.stream_unframed()) {
    // Each non-empty piece is one datagram, unchanged; empty pieces produce nothing.
    CHECK(result.ok);
    std::vector<Bytes> want;
    for (auto &p : pieces) {
      if (!p.empty()) want.push_back(p);
    }
    CHECK(got == want);
    CHECK(decoder.buffered() == 0);
    return 0;
  }

  const Decoded ref = reference_decode(stream, config);
  CHECK(got == ref.datagrams);
  CHECK(result.ok == !ref.refused);
  if (ref.refused) {
    CHECK(result.announced == ref.announced);
    CHECK(result.announced > config.max_datagram_size);
  } else {
    CHECK(decoder.buffered() == ref.tail);
    // What is held is an incomplete frame: never more than a header plus the maximum.
    CHECK(decoder.buffered() <= static_cast<size_t>(config.header_size) + config.max_datagram_size);
    decoder.reset();
    CHECK(decoder.buffered() == 0);
  }
  return 0;
}
