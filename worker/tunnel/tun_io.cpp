#include "worker/tunnel/tun_io.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

namespace sslvpn::worker {
namespace {

// A GSO packet is at most 64 kB (the IP length fields) after its header.
constexpr size_t kMaxRead = tun::kVnetHdrSize + 65536;

}  // namespace

TunIo::TunIo(UniqueFd fd, bool vnet_hdr) : fd_(std::move(fd)), vnet_(vnet_hdr), batch_(vnet_hdr) {
  if (vnet_) in_.reset(new uint8_t[kMaxRead]);  // uninitialised: resident only once used
}

void TunIo::queue(std::span<const uint8_t> packet) {
  if (batch_.add(packet)) return;
  if (!flush()) {
    ++dropped_;
    return;
  }
  if (!batch_.add(packet)) ++dropped_;  // larger than the arena: cannot happen for a TLS record
}

bool TunIo::flush() {
  if (batch_.empty()) return true;
  batch_.finish();
  while (next_write_ < batch_.writes()) {
    auto iov = batch_.write(next_write_);
    ssize_t n = ::writev(fd_.get(), iov.data(), static_cast<int>(iov.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      blocked_ = true;
      return false;
    }
    // Other errors (EINVAL: the kernel refused this packet) drop it and keep the tunnel.
    if (n < 0) ++dropped_;
    if (batch_.segments(next_write_) > 1) {
      ++gso_writes_;
      gso_segments_ += batch_.segments(next_write_);
    }
    ++next_write_;
  }
  batch_.clear();
  next_write_ = 0;
  blocked_ = false;
  return true;
}

Result<size_t> TunIo::read(std::span<uint8_t> out, size_t headroom, tun::SegmentSink& sink) {
  if (!vnet_) {
    ssize_t n = ::read(fd_.get(), out.data() + headroom, out.size() - headroom);
    if (n <= 0) return Errc::Timeout;  // EAGAIN (or nothing): done for now
    sink.on_segment(static_cast<size_t>(n));
    return size_t{1};
  }
  ssize_t n = ::read(fd_.get(), in_.get(), kMaxRead);
  if (n <= 0) return Errc::Timeout;
  auto r =
      tun::split_packet(std::span<const uint8_t>(in_.get(), static_cast<size_t>(n)), out, headroom, sink);
  if (!r.ok()) {
    ++dropped_;
    return size_t{0};
  }
  if (*r > 1) {
    ++tso_reads_;
    tso_segments_ += *r;
  }
  return *r;
}

}  // namespace sslvpn::worker
