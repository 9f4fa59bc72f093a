// Internal. EventLoop output for UDP sockets: the packets send() queued go out with sendmmsg,
// up to kPacketBatch per system call; a packet the kernel refuses is lost (and counted), the
// socket kept.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "engine/event_loop.h"
#include "log.h"

namespace queuednet::detail {

bool EventLoop::send_packets(Channel &ch) {
  DatagramOutput &out = *ch.conn->udp;
  {
    std::lock_guard lock(ch.conn->output_lock);
    ch.conn->sync_queued = false;
    count_output(ch);
    PacketQueue &queued = out.queued;
    if (out.sending.empty()) {
      std::swap(out.sending, queued);  // the writers get the emptied buffers back
    } else if (!queued.empty()) {
      const uint32_t base = static_cast<uint32_t>(out.sending.bytes.size());
      out.sending.bytes.insert(out.sending.bytes.end(), queued.bytes.begin(), queued.bytes.end());
      for (PendingPacket p : queued.packets) {
        p.offset += base;
        out.sending.packets.push_back(p);
      }
      queued.clear();
    }
  }
  // One sendmmsg for up to kPacketBatch packets.
  std::vector<PendingPacket> &packets = out.sending.packets;
  while (out.sending_off < packets.size()) {
    const size_t n = std::min(packets.size() - out.sending_off, kPacketBatch);
    for (size_t i = 0; i < n; ++i) {
      PendingPacket &p = packets[out.sending_off + i];
      iov_[i] = iovec{out.sending.bytes.data() + p.offset, p.size};
      mmsg_[i] = mmsghdr{};
      mmsg_[i].msg_hdr.msg_name = &p.to;
      mmsg_[i].msg_hdr.msg_namelen = p.to_len;
      mmsg_[i].msg_hdr.msg_iov = &iov_[i];
      mmsg_[i].msg_hdr.msg_iovlen = 1;
    }
    count(counters_.writes);
    const int sent = ::sendmmsg(ch.fd, mmsg_, static_cast<unsigned>(n), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {  // socket buffer full: wait, lose nothing
      wait_writable(ch);
      return true;
    }
    if (sent < 0 && errno == EINTR) continue;
    const size_t done = sent > 0 ? static_cast<size_t>(sent) : 1;
    if (sent < 0) {  // the first packet was refused: it is lost (UDP), the socket kept
      const int err = errno;
      out.failed_errno.store(err, std::memory_order_relaxed);
      out.failed_number.store(packets[out.sending_off].number, std::memory_order_release);
      count(counters_.udp_send_failures);
      count(ch.conn->datagrams_dropped);
      if (out.send_failures++ == 0) {
        log(LogLevel::warning, "UDP send from " + ch.conn->address.to_string() + " failed: " + std::strerror(err) +
                                   " (further failures on this socket are counted, not logged)");
      }
    }
    size_t bytes = 0;
    for (size_t i = 0; i < done; ++i) bytes += packets[out.sending_off + i].size;
    out.sending_off += done;
    wrote(ch, bytes);
  }
  out.sending.clear();
  out.sending_off = 0;
  return drained(ch);
}

}  // namespace queuednet::detail
