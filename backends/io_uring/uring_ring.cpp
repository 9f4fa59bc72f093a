// Internal. UringRing setup: see uring_ring.h.
#include "backends/io_uring/uring_ring.h"

#include <sys/resource.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "log.h"

namespace queuednet::detail {
namespace {

constexpr unsigned kMaxFixedFiles = 65536;  // registered-file slots (the kernel caps them at RLIMIT_NOFILE)

bool kernel_has_multishot_receive(std::string *error) {
  utsname u{};
  int major = 0, minor = 0;
  if (::uname(&u) == 0) std::sscanf(u.release, "%d.%d", &major, &minor);
  if (major < 6) {  // multishot receive needs 6.0
    *error = std::string("kernel ") + u.release + " lacks multishot receive (needs 6.0)";
    return false;
  }
  return true;
}

}  // namespace

UringRing::~UringRing() {
  if (ready_) io_uring_queue_exit(&ring_);  // cancels what is in flight
}

bool UringRing::init(bool single_thread, std::string *error) {
  if (!kernel_has_multishot_receive(error) || !create(single_thread, error) || !probe_opcodes(error)) return false;
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  fixed_slots_ = static_cast<unsigned>(std::min<rlim_t>(files.rlim_cur, kMaxFixedFiles));
  if (io_uring_register_files_sparse(&ring_, fixed_slots_) != 0) fixed_slots_ = 0;
  // A worker's ring is entered by its thread alone: register the ring's own descriptor too,
  // so io_uring_enter skips looking it up (5.18). Registration is per thread, so a polled
  // ring, which any application thread may turn, keeps the plain descriptor.
  if (single_thread) io_uring_register_ring_fd(&ring_);
  return true;
}

bool UringRing::create(bool single_thread, std::string *error) {
  // Setups to try, best first.
  std::vector<unsigned> setups;
  if (single_thread) {
    setups = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
              IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};
  }
  setups.push_back(IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
  setups.push_back(0);
  int rc = -EINVAL;
  for (unsigned flags : setups) {
    io_uring_params params{};
    params.flags = flags | IORING_SETUP_CQSIZE;
    params.cq_entries = kQueueDepth * 4;
    rc = io_uring_queue_init_params(kQueueDepth, &ring_, &params);
    if (rc == -EINVAL) continue;
    if (rc < 0) break;
    ready_ = true;
    defer_ = (flags & IORING_SETUP_DEFER_TASKRUN) != 0;
    taskrun_flag_ = (flags & IORING_SETUP_TASKRUN_FLAG) != 0;
    if (!(params.features & IORING_FEAT_NODROP)) {
      *error = "kernel lacks IORING_FEAT_NODROP (needs 5.5)";
      return false;
    }
    return true;
  }
  *error = std::string("io_uring_queue_init: ") + std::strerror(-rc);
  return false;
}

bool UringRing::probe_opcodes(std::string *error) {
  io_uring_probe *p = io_uring_get_probe_ring(&ring_);
  if (p == nullptr) {
    *error = "io_uring probe failed";
    return false;
  }
  bool ok = true;
  for (int op : {IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_POLL_ADD, IORING_OP_ASYNC_CANCEL}) {
    ok = ok && io_uring_opcode_supported(p, op);
  }
  io_uring_free_probe(p);
  if (!ok) *error = "io_uring lacks accept/recv/send/poll/cancel opcodes";
  return ok;
}

void UringRing::check_overflow() {
  if (!overflow_logged_ && (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_CQ_OVERFLOW)) {
    overflow_logged_ = true;
    log(LogLevel::warning, "io_uring completion queue overflowed; the kernel keeps the excess (NODROP)");
  }
}

}  // namespace queuednet::detail
