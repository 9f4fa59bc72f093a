// Tests for the pure framing code (src/framing): TCP headers 0/2/4, raw, UDP checksum; frames
// split at every byte boundary; many frames in one chunk; oversize frames refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "framing/frame_encoder.h"
#include "framing/tcp_frame_decoder.h"
#include "support/test_support.h"

using queuednet::detail::FrameConfig;
using queuednet::detail::TcpFrameDecoder;

namespace {

const unsigned char *u(const std::string &s) { return reinterpret_cast<const unsigned char *>(s.data()); }

std::string encode(const std::vector<std::string> &payloads, const FrameConfig &config) {
  std::vector<unsigned char> out;
  for (const auto &p : payloads) EXPECT_TRUE(queuednet::detail::append_tcp_frame(out, u(p), p.size(), config));
  return {out.begin(), out.end()};
}

std::vector<std::string> decode_in_pieces(const std::string &wire, const std::vector<size_t> &cuts,
                                          const FrameConfig &config) {
  TcpFrameDecoder decoder;
  std::vector<std::string> got;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(wire.size());
  for (size_t end : ends) {
    auto r = decoder.feed(u(wire) + start, end - start, config, [&](const unsigned char *p, size_t n) {
      got.emplace_back(reinterpret_cast<const char *>(p), n);
    });
    EXPECT_TRUE(r.ok);
    start = end;
  }
  EXPECT_EQ(decoder.buffered(), 0u);
  return got;
}

}  // namespace

TEST(Framing, Wire1HeaderBytes) {
  FrameConfig c2{2, false};
  FrameConfig c4{4, false};
  EXPECT_EQ(encode({"abc"}, c2), std::string("\x03\x00" "abc", 5));
  EXPECT_EQ(encode({"abc"}, c4), std::string("\x03\x00\x00\x00" "abc", 7));
  EXPECT_EQ(encode({""}, c2), std::string("\x00\x00", 2));  // WIRE-7
  EXPECT_EQ(encode({"abc"}, FrameConfig{0, false}), "abc");
  EXPECT_EQ(encode({"abc"}, FrameConfig{2, true}), "abc");
}

TEST(Framing, SplitAtEveryByteBoundary) {  // WIRE-3, header split 1+1 included
  for (int header : {2, 4}) {
    const FrameConfig config{header, false};
    const std::vector<std::string> payloads{"hello", "", qt::pattern(300, 1), "z"};
    const std::string wire = encode(payloads, config);
    for (size_t cut = 0; cut <= wire.size(); ++cut) {
      EXPECT_EQ(decode_in_pieces(wire, {cut}, config), payloads) << "header " << header << " cut " << cut;
    }
    std::vector<size_t> every;
    for (size_t i = 1; i < wire.size(); ++i) every.push_back(i);
    EXPECT_EQ(decode_in_pieces(wire, every, config), payloads) << "one byte at a time";
  }
}

TEST(Framing, ThousandFramesInOneChunk) {  // WIRE-2 at scale
  const FrameConfig config{2, false};
  std::vector<std::string> payloads;
  for (int i = 0; i < 1000; ++i) payloads.push_back("datagram " + std::to_string(i));
  EXPECT_EQ(decode_in_pieces(encode(payloads, config), {}, config), payloads);
}

TEST(Framing, OversizeFrameIsRefused) {
  FrameConfig config{4, false, 1000};
  TcpFrameDecoder decoder;
  const std::string wire = std::string("\xe9\x03\x00\x00", 4);  // announces 1001
  int frames = 0;
  auto r = decoder.feed(u(wire), wire.size(), config, [&](const unsigned char *, size_t) { ++frames; });
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.announced, 1001u);
  EXPECT_EQ(frames, 0);
  // Same when the header arrives in pieces.
  TcpFrameDecoder split;
  EXPECT_TRUE(split.feed(u(wire), 3, config, [](const unsigned char *, size_t) {}).ok);
  EXPECT_FALSE(split.feed(u(wire) + 3, 1, config, [](const unsigned char *, size_t) {}).ok);
}

TEST(Framing, TooLargeForHeaderIsNotEncoded) {
  std::vector<unsigned char> out;
  const std::string big(65536, 'x');
  EXPECT_FALSE(queuednet::detail::append_tcp_frame(out, u(big), big.size(), FrameConfig{2, false}));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(queuednet::detail::append_tcp_frame(out, u(big), big.size(), FrameConfig{4, false}));
}

TEST(Framing, UnframedStreamDeliversChunksAsTheyCome) {
  TcpFrameDecoder decoder;
  std::vector<std::string> got;
  for (const char *chunk : {"ab", "c", "defg"}) {
    decoder.feed(u(chunk), std::strlen(chunk), FrameConfig{0, false},
                 [&](const unsigned char *p, size_t n) { got.emplace_back(reinterpret_cast<const char *>(p), n); });
  }
  EXPECT_EQ(got, (std::vector<std::string>{"ab", "c", "defg"}));
}

TEST(Framing, UdpChecksum) {  // WIRE-4, WIRE-5
  const FrameConfig config;
  std::vector<unsigned char> out;
  queuednet::detail::append_udp_packet(out, u("abc"), 3, config);
  EXPECT_EQ(std::string(out.begin(), out.end()), std::string("\x26\x01" "abc", 5));
  out.clear();
  const std::string ff(300, '\xff');
  queuednet::detail::append_udp_packet(out, u(ff), ff.size(), config);
  EXPECT_EQ(out[0], 0xD4);
  EXPECT_EQ(out[1], 0x2A);

  const std::string good("\x06\x00\x01\x02\x03", 5), bad("\x07\x00\x01\x02\x03", 5);
  auto ok = queuednet::detail::verify_udp_packet(u(good), good.size(), config);
  ASSERT_TRUE(ok);
  EXPECT_EQ(std::string(ok->begin(), ok->end()), std::string("\x01\x02\x03", 3));
  EXPECT_FALSE(queuednet::detail::verify_udp_packet(u(bad), bad.size(), config));
  EXPECT_FALSE(queuednet::detail::verify_udp_packet(u(good), 1, config));
  EXPECT_FALSE(queuednet::detail::verify_udp_packet(u(good), 0, config));
  auto raw = queuednet::detail::verify_udp_packet(u(bad), bad.size(), FrameConfig{2, true});
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), 5u);
}

TEST(Framing, RandomFramesAtRandomSplitsDecodeExactly) {
  std::mt19937 rng(12345);  // fixed seed: reproducible
  for (int header : {2, 4}) {
    const FrameConfig config{header, false};
    const size_t limit = header == 2 ? 65536 : 70000;  // largest payload + 1
    for (int round = 0; round < 100; ++round) {
      std::vector<std::string> payloads;
      const int count = 1 + static_cast<int>(rng() % 20);
      for (int i = 0; i < count; ++i) {
        const size_t size = rng() % 4 == 0 ? rng() % limit : rng() % 64;
        payloads.push_back(qt::pattern(size, static_cast<unsigned>(rng())));
      }
      const std::string wire = encode(payloads, config);
      std::vector<size_t> cuts;
      for (size_t at = 0; at < wire.size();) {
        at += 1 + rng() % 3000;
        if (at < wire.size()) cuts.push_back(at);
      }
      ASSERT_EQ(decode_in_pieces(wire, cuts, config), payloads) << "header " << header << " round " << round;
    }
  }
}

// Many valid frames (random lengths up to the maximum, the maximum itself and empty ones
// included), then a tail: nothing, an oversize header, an incomplete frame, or random garbage;
// all fed at random split points (empty feeds included). Every frame before the tail arrives
// exactly; the tail is refused, held, or never yields a datagram over the maximum.
TEST(Framing, ManyValidFramesThenATailAtRandomSplits) {
  std::mt19937 rng(2024);  // fixed seed: reproducible
  enum Tail { kNone, kOversize, kIncomplete, kGarbage };
  size_t frames_checked = 0;
  for (int header : {2, 4}) {
    for (int round = 0; round < 200; ++round) {
      const FrameConfig config{header, false, rng() % 4097};
      std::vector<std::string> payloads(20 + rng() % 200);
      for (auto &p : payloads) {
        const unsigned pick = rng() % 8;
        const size_t size = pick == 0 ? 0 : pick == 1 ? config.max_datagram_size : rng() % (config.max_datagram_size + 1);
        p = qt::pattern(size, static_cast<unsigned>(rng()));
      }
      std::string wire = encode(payloads, config);
      const auto tail = static_cast<Tail>(rng() % 4);
      const uint64_t header_max = header == 2 ? 0xFFFFu : 0xFFFFFFFFu;
      uint64_t oversize = 0;
      std::string held;
      if (tail == kOversize) {
        oversize = config.max_datagram_size + 1 + rng() % (header_max - config.max_datagram_size);
        for (int i = 0; i < header; ++i) wire.push_back(static_cast<char>(oversize >> (8 * i)));
        wire += qt::pattern(rng() % 100, 1);
      } else if (tail == kIncomplete) {
        const size_t size = 1 + rng() % (config.max_datagram_size + 1);
        std::vector<unsigned char> frame;
        const std::string p = qt::pattern(size, 2);
        queuednet::detail::append_tcp_frame(frame, u(p), p.size(), config);
        held.assign(frame.begin(), frame.begin() + static_cast<long>(rng() % frame.size()));
        wire += held;
      } else if (tail == kGarbage) {
        wire += qt::pattern(1 + rng() % 5000, static_cast<unsigned>(rng()));
      }

      TcpFrameDecoder decoder;
      std::vector<std::string> got;
      TcpFrameDecoder::Result result;
      for (size_t at = 0; at < wire.size() && result.ok;) {
        const size_t n = std::min<size_t>(wire.size() - at, rng() % 5 == 0 ? 0 : 1 + rng() % 2000);
        result = decoder.feed(u(wire) + at, n, config, [&](const unsigned char *p, size_t size) {
          got.emplace_back(reinterpret_cast<const char *>(p), size);
        });
        at += n;
      }
      SCOPED_TRACE("header " + std::to_string(header) + " round " + std::to_string(round) + " tail " +
                   std::to_string(tail));
      ASSERT_GE(got.size(), payloads.size());
      ASSERT_TRUE(std::equal(payloads.begin(), payloads.end(), got.begin()));
      frames_checked += payloads.size();
      for (const auto &g : got) ASSERT_LE(g.size(), config.max_datagram_size);
      switch (tail) {
        case kNone:
          EXPECT_TRUE(result.ok);
          EXPECT_EQ(got.size(), payloads.size());
          EXPECT_EQ(decoder.buffered(), 0u);
          break;
        case kOversize:
          EXPECT_FALSE(result.ok);
          EXPECT_EQ(result.announced, oversize);
          EXPECT_EQ(got.size(), payloads.size());
          break;
        case kIncomplete:
          EXPECT_TRUE(result.ok);
          EXPECT_EQ(got.size(), payloads.size());
          EXPECT_EQ(decoder.buffered(), held.size());
          break;
        case kGarbage:
          if (!result.ok) EXPECT_GT(result.announced, config.max_datagram_size);
          EXPECT_LE(decoder.buffered(), config.max_datagram_size + static_cast<size_t>(header));
          break;
      }
    }
  }
  EXPECT_GT(frames_checked, 40000u);  // every run decodes tens of thousands of frames
}

TEST(Framing, AFrameAssembledAcrossFeedsIsHandedOverInItsOwnVector) {
  const FrameConfig config{2, false};
  const std::string payload = qt::pattern(60000, 7);
  const std::string wire = encode({"small", payload, "tail"}, config);
  TcpFrameDecoder decoder;
  std::vector<std::string> got;
  std::vector<std::vector<unsigned char>> taken;
  size_t in_place = 0;
  const auto sink = [&](const unsigned char *p, size_t n, std::vector<unsigned char> *held) {
    got.emplace_back(reinterpret_cast<const char *>(p), n);
    if (held == nullptr) {
      ++in_place;
      return;
    }
    EXPECT_EQ(held->size(), n);  // exactly the payload, no header
    EXPECT_EQ(held->data(), p);
    taken.emplace_back();
    taken.back().swap(*held);  // taken, not copied
  };
  for (size_t start = 0; start < wire.size(); start += 16384) {  // io_uring's buffer size
    ASSERT_TRUE(decoder.feed(u(wire) + start, std::min<size_t>(16384, wire.size() - start), config, sink).ok);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"small", payload, "tail"}));
  EXPECT_EQ(in_place, 2u);  // "small" and "tail"; the large frame spans four pieces
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(std::string(taken[0].begin(), taken[0].end()), payload);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(Framing, ALargeFrameInTwoFeedsReachesATwoArgumentSinkWhole) {
  const FrameConfig config{4, false, 1 << 20};
  TcpFrameDecoder decoder;
  // 1 MiB announced, 10 bytes sent: the decoder holds them; the sink gets the frame once the
  // rest comes.
  std::string wire("\x00\x00\x10\x00", 4);
  const std::string payload = qt::pattern(1 << 20, 3);
  wire += payload;
  std::string got;
  const auto sink = [&](const unsigned char *p, size_t n) { got.assign(reinterpret_cast<const char *>(p), n); };
  ASSERT_TRUE(decoder.feed(u(wire), 14, config, sink).ok);
  EXPECT_EQ(decoder.buffered(), 14u);
  ASSERT_TRUE(decoder.feed(u(wire) + 14, wire.size() - 14, config, sink).ok);
  EXPECT_EQ(got, payload);
  EXPECT_EQ(decoder.buffered(), 0u);
}
