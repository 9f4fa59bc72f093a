// baseline-epoll-broadcast: the hand-written broadcast server queuednet-broadcast-server is
// measured against; the protocol is in broadcast_wire.h. No library.
//
// N threads, each with its own SO_REUSEPORT listener (listener.h) and edge-triggered epoll
// loop. A loop reads each ready connection until it is drained and splits the bytes into
// frames (2-byte little-endian length; frames.h). A join puts the connection in its room and
// appends the frame to the connection's own output (the ack). A data datagram is appended,
// framed, to the output of every member of the sender's room on this thread, which marks the
// member dirty; for a member on another thread it goes, with the member's id, into a batch for
// that thread. After the turn's events, each batch is appended to its thread's inbox (a vector
// under a mutex, taken whole by a swap) and that thread is woken through its eventfd; then
// each dirty connection's output is written with one send(); what the socket does not take
// stays for the next EPOLLOUT. The room table (room -> members, each a thread and a
// connection id) is shared by the threads under one mutex, held while a datagram's members are
// looked up; it changes only on join and on close. A connection is closed on EOF or an error
// and leaves its room first.
//
//   baseline-epoll-broadcast --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS]
//
// Prints "listening on HOST:PORT backend=baseline-epoll threads=N" and a summary on exit.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broadcast_wire.h"
#include "cli_args.h"
#include "frames.h"
#include "listener.h"
#include "server_options.h"
#include "server_process.h"

namespace {

constexpr const char *kUsage =
    "usage: baseline-epoll-broadcast --port P [--host 127.0.0.1] [--threads N] [--duration SECONDS]\n"
    "Broadcast rooms (see queuednet-broadcast-server) by hand: N threads with SO_REUSEPORT\n"
    "listeners and edge-triggered epoll, a shared room table, inboxes between threads.\n";

constexpr uint64_t kListenerId = 0;
constexpr uint64_t kWakeId = 1;

struct Conn {
  int fd = -1;
  uint64_t id = 0;
  std::string partial;  // the start of a frame not complete yet
  std::string out;      // framed datagrams the socket did not take yet
  bool dirty = false;   // in the loop's list of connections to write this turn
  bool closed = false;  // closed this turn; erased after it
  bool joined = false;
  uint32_t room = 0;
};

struct Member {
  int thread;
  uint64_t id;
  Conn *conn;  // dereferenced only by its own thread
};

// Frames for the connections of one thread: each item is a member id and where its frame
// starts in `bytes` (a frame sent to several members of that thread is stored once).
struct Batch {
  std::string bytes;
  std::vector<std::pair<uint64_t, uint32_t>> items;
  void clear() {
    bytes.clear();
    items.clear();
  }
};

struct Inbox {
  std::mutex mutex;
  Batch batch;
  int wake = -1;  // eventfd
};

// What the threads share.
struct Shared {
  std::mutex rooms_mutex;
  std::unordered_map<uint32_t, std::vector<Member>> rooms;
  std::vector<std::unique_ptr<Inbox>> inboxes;
  std::atomic<uint64_t> next_id{2};
  std::atomic<uint64_t> accepted{0}, in{0}, sent{0}, bad{0};
};

class Loop {
 public:
  Loop(int index, int listener, Shared &shared)
      : index_(index), listener_(listener), shared_(shared), outgoing_(shared.inboxes.size()),
        stamp_(shared.inboxes.size(), 0), buf_(65536) {}

  void run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    watch(listener_, kListenerId, EPOLLIN);
    watch(shared_.inboxes[index_]->wake, kWakeId, EPOLLIN | EPOLLET);
    std::vector<epoll_event> events(1024);
    while (!bench::g_stop.load(std::memory_order_relaxed)) {
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 50);
      for (int i = 0; i < n; ++i) {
        const uint64_t id = events[i].data.u64;
        if (id == kListenerId) accept_all();
        else if (id == kWakeId) take_inbox();
        else on_ready(conns_.at(id), events[i].events);
      }
      post_outgoing();
      write_dirty();
      for (const uint64_t id : closed_) conns_.erase(id);
      closed_.clear();
    }
    for (auto &[id, c] : conns_) close(c.fd);
    close(ep_);
    shared_.in += in_;
    shared_.sent += sent_;
    shared_.bad += bad_;
  }

 private:
  void watch(int fd, uint64_t id, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  }

  void accept_all() {
    for (;;) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const uint64_t id = shared_.next_id.fetch_add(1);
      Conn &c = conns_[id];
      c.fd = fd;
      c.id = id;
      watch(fd, id, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
      shared_.accepted.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void mark_dirty(Conn &c) {
    if (c.dirty) return;
    c.dirty = true;
    dirty_.push_back(&c);
  }

  void on_ready(Conn &c, uint32_t events) {
    if (c.closed) return;
    if ((events & EPOLLOUT) && !c.out.empty()) mark_dirty(c);
    if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) return;
    for (;;) {
      const ssize_t r = recv(c.fd, buf_.data(), buf_.size(), 0);
      if (r > 0) {
        bench::for_each_frame(c.partial, buf_.data(), static_cast<size_t>(r),
                              [&](const unsigned char *frame, size_t size) { on_datagram(c, frame, size); });
        if (static_cast<size_t>(r) < buf_.size()) return;  // drained
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (!(r < 0 && errno == EAGAIN)) close_conn(c);  // EOF or error
      return;
    }
  }

  // `frame`: the 2-byte length, then `size` bytes of datagram.
  void on_datagram(Conn &c, const unsigned char *frame, size_t size) {
    ++in_;
    const unsigned char *payload = frame + broadcast::kFrameHeaderSize;
    const size_t frame_size = broadcast::kFrameHeaderSize + size;
    if (size == broadcast::kJoinSize && payload[0] == broadcast::kJoin) {
      std::lock_guard lock(shared_.rooms_mutex);
      leave_room(c);
      c.room = broadcast::get_u32(payload + 1);
      c.joined = true;
      shared_.rooms[c.room].push_back(Member{index_, c.id, &c});
      deliver(c, frame, frame_size);
      return;
    }
    if (size < broadcast::kDataHeaderSize || payload[0] != broadcast::kData || !c.joined) {
      ++bad_;
      return;
    }
    ++serial_;
    std::lock_guard lock(shared_.rooms_mutex);
    for (const Member &m : shared_.rooms[c.room]) {
      if (m.thread == index_) {
        deliver(*m.conn, frame, frame_size);
        continue;
      }
      Batch &batch = outgoing_[static_cast<size_t>(m.thread)];
      if (stamp_[static_cast<size_t>(m.thread)] != serial_) {  // this datagram's first member there
        stamp_[static_cast<size_t>(m.thread)] = serial_;
        batch.bytes.append(reinterpret_cast<const char *>(frame), frame_size);
      }
      batch.items.emplace_back(m.id, static_cast<uint32_t>(batch.bytes.size() - frame_size));
    }
  }

  void deliver(Conn &c, const unsigned char *frame, size_t frame_size) {
    c.out.append(reinterpret_cast<const char *>(frame), frame_size);
    mark_dirty(c);
    ++sent_;
  }

  // Takes `c` out of its room; the caller holds rooms_mutex.
  void leave_room(Conn &c) {
    if (!c.joined) return;
    const auto room = shared_.rooms.find(c.room);
    auto &members = room->second;
    members.erase(std::find_if(members.begin(), members.end(), [&](const Member &m) { return m.id == c.id; }));
    if (members.empty()) shared_.rooms.erase(room);
    c.joined = false;
  }

  void close_conn(Conn &c) {
    {
      std::lock_guard lock(shared_.rooms_mutex);
      leave_room(c);
    }
    close(c.fd);
    c.closed = true;
    closed_.push_back(c.id);
  }

  // Appends the frames other threads sent to this thread's connections.
  void take_inbox() {
    uint64_t count;
    while (read(shared_.inboxes[index_]->wake, &count, sizeof count) == sizeof count) {
    }
    {
      Inbox &inbox = *shared_.inboxes[index_];
      std::lock_guard lock(inbox.mutex);
      std::swap(inbox.batch, incoming_);
    }
    for (const auto &[id, offset] : incoming_.items) {
      const auto found = conns_.find(id);
      if (found == conns_.end() || found->second.closed) continue;  // it left after the frame was sent
      const auto *frame = reinterpret_cast<const unsigned char *>(incoming_.bytes.data() + offset);
      deliver(found->second, frame, broadcast::kFrameHeaderSize + (frame[0] | size_t{frame[1]} << 8));
    }
    incoming_.clear();
  }

  // Hands each other thread its batch of this turn and wakes it.
  void post_outgoing() {
    for (size_t t = 0; t < outgoing_.size(); ++t) {
      Batch &batch = outgoing_[t];
      if (batch.items.empty()) continue;
      Inbox &inbox = *shared_.inboxes[t];
      {
        std::lock_guard lock(inbox.mutex);
        if (inbox.batch.items.empty()) {
          std::swap(inbox.batch, batch);
        } else {
          const auto base = static_cast<uint32_t>(inbox.batch.bytes.size());
          inbox.batch.bytes += batch.bytes;
          for (const auto &[id, offset] : batch.items) inbox.batch.items.emplace_back(id, base + offset);
        }
      }
      batch.clear();
      const uint64_t one = 1;
      if (write(inbox.wake, &one, sizeof one) < 0) std::perror("baseline-epoll-broadcast: eventfd write");
    }
  }

  // One send() per dirty connection; the rest waits for EPOLLOUT.
  void write_dirty() {
    for (Conn *c : dirty_) {
      c->dirty = false;
      if (c->closed || c->out.empty()) continue;
      const ssize_t n = send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
      if (n > 0) c->out.erase(0, static_cast<size_t>(n));
      else if (!(n < 0 && (errno == EAGAIN || errno == EINTR))) close_conn(*c);
    }
    dirty_.clear();
  }

  const int index_;
  const int listener_;
  Shared &shared_;
  int ep_ = -1;
  std::unordered_map<uint64_t, Conn> conns_;  // by id; elements stay put while in the map
  std::vector<Conn *> dirty_;
  std::vector<uint64_t> closed_;
  std::vector<Batch> outgoing_;  // per thread
  std::vector<uint64_t> stamp_;  // per thread: the last datagram whose frame is in its batch
  uint64_t serial_ = 0;          // datagrams broadcast by this thread
  Batch incoming_;
  std::vector<char> buf_;
  uint64_t in_ = 0, sent_ = 0, bad_ = 0;
};

}  // namespace

int main(int argc, char **argv) {
  bench::Args args(argc, argv, "baseline-epoll-broadcast", kUsage);
  bench::ServerOptions o = bench::parse_server_options(args);
  bench::prepare_server_process();
  const std::vector<int> listeners =
      bench::open_listeners("baseline-epoll-broadcast", o.host, o.port, o.threads, SOCK_NONBLOCK);
  Shared shared;
  for (int i = 0; i < o.threads; ++i) {
    shared.inboxes.push_back(std::make_unique<Inbox>());
    shared.inboxes.back()->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  }
  std::printf("listening on %s:%d backend=baseline-epoll threads=%d\n", o.host.c_str(), o.port, o.threads);
  std::fflush(stdout);
  std::vector<std::thread> workers;
  for (int i = 0; i < o.threads; ++i) {
    workers.emplace_back([&, i] { Loop(i, listeners[static_cast<size_t>(i)], shared).run(); });
  }
  bench::wait_for_stop(o.duration);
  for (auto &w : workers) w.join();
  std::printf("summary: connections=%llu datagrams_in=%llu datagrams_sent=%llu bad=%llu\n",
              static_cast<unsigned long long>(shared.accepted.load()), static_cast<unsigned long long>(shared.in.load()),
              static_cast<unsigned long long>(shared.sent.load()), static_cast<unsigned long long>(shared.bad.load()));
  return 0;
}
