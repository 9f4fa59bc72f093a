// Google Benchmark micro-benchmarks of the per-datagram code paths: encoding, framing,
// decoding and the result queue. Run: build/bench/queuednet-micro-bench
#include <benchmark/benchmark.h>

#include "engine/result_queue.h"
#include "framing/frame_encoder.h"
#include "framing/tcp_frame_decoder.h"
#include "queuednet/datagram.h"
#include "queuednet/datagram_iterator.h"
#include "queuednet/net_datagram.h"

using namespace queuednet;

static void BM_DatagramBuildAndRead(benchmark::State &state) {
  for (auto _ : state) {
    Datagram dg;
    dg.add_uint16(7);
    dg.add_uint32(123456);
    dg.add_string("player-name");
    dg.add_float32(1.5f);
    DatagramIterator it(dg);
    benchmark::DoNotOptimize(it.get_uint16() + it.get_uint32() + it.get_string().size() + it.get_float32());
  }
}
BENCHMARK(BM_DatagramBuildAndRead);

static void BM_DecodeFramesOneChunk(benchmark::State &state) {
  const size_t payload = static_cast<size_t>(state.range(0));
  std::vector<unsigned char> wire;
  const std::vector<unsigned char> body(payload, 'x');
  const detail::FrameConfig config;
  for (int i = 0; i < 1000; ++i) detail::append_tcp_frame(wire, body.data(), body.size(), config);
  detail::TcpFrameDecoder decoder;
  size_t frames = 0;
  auto sink = [&](const unsigned char *, size_t) { ++frames; };
  for (auto _ : state) decoder.feed(wire.data(), wire.size(), config, sink);
  state.SetItemsProcessed(static_cast<int64_t>(frames));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_DecodeFramesOneChunk)->Arg(32)->Arg(1024);

static void BM_DecodeFramesByteByByte(benchmark::State &state) {
  std::vector<unsigned char> wire;
  const std::vector<unsigned char> body(32, 'x');
  const detail::FrameConfig config;
  for (int i = 0; i < 100; ++i) detail::append_tcp_frame(wire, body.data(), body.size(), config);
  detail::TcpFrameDecoder decoder;
  auto sink = [](const unsigned char *, size_t) {};
  for (auto _ : state) {
    for (unsigned char &b : wire) decoder.feed(&b, 1, config, sink);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_DecodeFramesByteByByte);

static void BM_ResultQueuePushPop(benchmark::State &state) {
  detail::ResultQueue<NetDatagram> queue(1 << 20);
  const std::string payload(32, 'p');
  for (auto _ : state) {
    queue.push(0, NetDatagram(payload.data(), payload.size()));
    NetDatagram out;
    benchmark::DoNotOptimize(queue.pop(out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResultQueuePushPop);

BENCHMARK_MAIN();
