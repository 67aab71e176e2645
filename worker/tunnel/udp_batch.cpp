#include "worker/tunnel/udp_batch.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

namespace sslvpn::worker {

void plan_gso_runs(std::span<const uint16_t> sizes, size_t max_segments, size_t max_bytes,
                   std::vector<GsoRun>& runs) {
  runs.clear();
  size_t i = 0;
  while (i < sizes.size()) {
    GsoRun r{i, 1, sizes[i]};
    size_t bytes = sizes[i];
    // A datagram joins while it is no larger than the first; a smaller one ends the run.
    while (i + r.count < sizes.size() && r.count < max_segments) {
      size_t s = sizes[i + r.count];
      if (s > r.size || s == 0 || bytes + s > max_bytes) break;
      bytes += s;
      ++r.count;
      if (s < r.size) break;
    }
    runs.push_back(r);
    i += r.count;
  }
}

UdpBatch::UdpBatch() : buf_(new uint8_t[kMaxBytes]) {
  sizes_.reserve(kMaxDatagrams);
}

bool UdpBatch::add(std::span<const uint8_t> datagram) {
  if (sizes_.size() >= kMaxDatagrams || datagram.size() > kMaxBytes - used_ || datagram.size() > 0xffff)
    return false;
  std::memcpy(buf_.get() + used_, datagram.data(), datagram.size());
  used_ += datagram.size();
  sizes_.push_back(static_cast<uint16_t>(datagram.size()));
  return true;
}

void UdpBatch::send_one(int fd, const uint8_t* p, size_t len) {
  while (::send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

void UdpBatch::flush(int fd) {
  // 64 segments is UDP_MAX_SEGMENTS on every kernel that has UDP_SEGMENT; the IP length field
  // bounds the bytes.
  plan_gso_runs(sizes_, gso_ok_ ? 64 : 1, 65000, runs_);
  size_t offset = 0;
  for (const GsoRun& r : runs_) {
    size_t bytes = 0;
    for (size_t k = 0; k < r.count; ++k) bytes += sizes_[r.first + k];
    const uint8_t* p = buf_.get() + offset;
    offset += bytes;
    if (r.count == 1) {
      send_one(fd, p, bytes);
      continue;
    }
    iovec iov{const_cast<uint8_t*>(p), bytes};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint16_t))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t seg = static_cast<uint16_t>(r.size);
    std::memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
    ssize_t n;
    while ((n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }
    if (n >= 0) {
      ++gso_sends_;
      continue;
    }
    // Lost, as UDP may be (ECONNREFUSED: an ICMP error for an earlier datagram, not a GSO fault).
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == ECONNREFUSED) continue;
    // EIO/EINVAL/ENOPROTOOPT: no GSO on this path (no checksum offload, an old kernel, ...).
    gso_ok_ = false;
    for (size_t k = 0; k < r.count; ++k) {
      size_t len = sizes_[r.first + k];
      send_one(fd, p, len);
      p += len;
    }
  }
  sizes_.clear();
  used_ = 0;
}

}  // namespace sslvpn::worker
