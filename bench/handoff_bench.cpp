// Google Benchmark of the thread hand-off alone, no sockets: P "loop" threads push batches of
// datagrams into a reader queue (QueuedDatagram, ResultQueue, as a loop delivers them) and
// take back what the consumers answered; C "application" threads take each datagram through
// the reader's front (which counts it against its connection's input budget), and answer it
// by framing it into the connection's output under its lock and asking its loop to write it,
// as get_data() and send() do. Reports datagrams per second through the whole round trip.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "engine/connection_core.h"
#include "engine/engine.h"
#include "engine/queued_datagram.h"
#include "engine/reader_front.h"
#include "engine/result_queue.h"
#include "framing/frame_encoder.h"

using namespace queuednet;

namespace {

constexpr size_t kBatch = 16;         // datagrams one receive delivers
constexpr int64_t kPerProducer = 200000;

struct Rig {
  explicit Rig(int loops) : engine(std::make_shared<detail::Engine>(0, detail::BackendId::poll)), syncs(loops) {
    for (int i = 0; i < loops; ++i) {
      int fds[2];
      ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
      ::close(fds[1]);
      std::string why;
      connections.push_back(engine->adopt(fds[0], detail::ChannelKind::stream, detail::SocketAddress(), &why));
    }
  }
  std::shared_ptr<detail::Engine> engine;
  std::vector<detail::ConnectionRef> connections;  // one per loop
  detail::ResultQueue<detail::QueuedDatagram> queue{1 << 30};
  detail::ReaderFront front;
  std::vector<moodycamel::ConcurrentQueue<detail::ConnectionRef>> syncs;  // each loop's requests
};

// A loop: delivers its connection's datagrams in batches, and writes what was answered.
void loop_thread(Rig &rig, uint32_t index, std::atomic<int64_t> &answered) {
  const detail::ConnectionRef &c = rig.connections[index];
  detail::ConnectionCore &core = *c;
  const unsigned char payload[32] = {};
  detail::ByteBuffer out;
  detail::QueuedDatagram batch[kBatch];
  detail::ConnectionRef request;
  uint64_t delivered = 0;
  for (int64_t sent = 0; sent < kPerProducer;) {
    for (size_t i = 0; i < kBatch; ++i) batch[i] = detail::QueuedDatagram(c, payload, sizeof payload);
    delivered += kBatch * detail::InputAccount::unit(sizeof payload);
    core.input.delivered.store(delivered, std::memory_order_release);
    sent += static_cast<int64_t>(rig.queue.push(index, batch, kBatch));
    while (rig.syncs[index].try_dequeue(request)) {  // the write: take what was answered
      std::lock_guard lock(core.output_lock);
      core.sync_queued = false;
      out.clear();
      out.swap(core.pending);
    }
  }
  while (answered.load(std::memory_order_relaxed) < kPerProducer * static_cast<int64_t>(rig.connections.size())) {
    bool any = false;
    while (rig.syncs[index].try_dequeue(request)) {
      std::lock_guard lock(core.output_lock);
      core.sync_queued = false;
      core.pending.clear();
      any = true;
    }
    if (!any) std::this_thread::yield();  // an idle loop sleeps in its backend
  }
}

// An application thread: get_data() then send() of an answer.
void app_thread(Rig &rig, std::atomic<int64_t> &answered, int64_t total) {
  const detail::FrameConfig config;
  unsigned char payload[detail::QueuedDatagram::kInlineBytes];
  size_t size = 0;
  detail::ConnectionRef c, resume;
  const auto never_paused = [](uint64_t) { return true; };
  int64_t mine = 0;  // added to the shared count in steps, so the count costs nothing per datagram
  while (answered.load(std::memory_order_relaxed) < total) {
    const bool got = rig.front.take(rig.queue, nullptr, never_paused, &resume, [&](detail::QueuedDatagram &d) {
      size = d.size;
      std::memcpy(payload, d.data(), size);
      c = std::move(d.connection);
    });
    if (!got) {
      answered.fetch_add(mine, std::memory_order_relaxed);
      mine = 0;
      std::this_thread::yield();  // an idle application waits (wait_for_data)
      continue;
    }
    detail::ConnectionCore &core = *c;
    bool need_sync;
    {
      std::lock_guard lock(core.output_lock);
      detail::write_tcp_frame(core.pending.append(detail::tcp_header_bytes(config) + size), payload, size, config);
      need_sync = !core.sync_queued;
      core.sync_queued = true;
    }
    if (need_sync) rig.syncs[core.loop_index].enqueue(c);
    if (++mine == 256) {
      answered.fetch_add(mine, std::memory_order_relaxed);
      mine = 0;
    }
  }
}

void BM_HandOff(benchmark::State &state) {
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Rig rig(threads);
    std::atomic<int64_t> answered{0};
    const int64_t total = kPerProducer * threads;
    std::vector<std::thread> all;
    for (int i = 0; i < threads; ++i) all.emplace_back(loop_thread, std::ref(rig), static_cast<uint32_t>(i), std::ref(answered));
    for (int i = 0; i < threads; ++i) all.emplace_back(app_thread, std::ref(rig), std::ref(answered), total);
    for (auto &t : all) t.join();
    state.SetItemsProcessed(state.items_processed() + total);
  }
}
BENCHMARK(BM_HandOff)->Arg(1)->Arg(4)->ArgName("loops_and_app_threads")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
