// The worker's end of its TUN device. Packets for the device are batched and written once per
// wake-up; with the virtio-net header (tun-offload) consecutive TCP segments go as one GSO
// packet, and TCP super-packets the kernel hands over are split into MTU-sized packets here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "worker/tun/split.hpp"
#include "worker/tun/write_batch.hpp"

namespace sslvpn::worker {

class TunIo {
 public:
  TunIo(UniqueFd fd, bool vnet_hdr);

  int fd() const noexcept { return fd_.get(); }
  // Queues a packet; a full batch is written out first. A packet that finds the batch full
  // while the device is blocked is dropped (counted).
  void queue(std::span<const uint8_t> packet);
  // Writes what is queued. false: the device would block; the rest waits for the next call.
  bool flush();
  bool blocked() const noexcept { return blocked_; }
  // Reads what the device has: each resulting packet is built in out[headroom, ...) and handed
  // to `sink`. Errc::Timeout when nothing is there; the count of packets otherwise (0 when the
  // read was malformed and dropped).
  Result<size_t> read(std::span<uint8_t> out, size_t headroom, tun::SegmentSink& sink);
  uint64_t dropped() const noexcept { return dropped_; }
  // Writes that went out as GSO packets and the segments they carried; reads that were TCP
  // super-packets and the packets made of them (for the debug log).
  uint64_t gso_writes() const noexcept { return gso_writes_; }
  uint64_t gso_segments() const noexcept { return gso_segments_; }
  uint64_t tso_reads() const noexcept { return tso_reads_; }
  uint64_t tso_segments() const noexcept { return tso_segments_; }

 private:
  UniqueFd fd_;
  bool vnet_;
  tun::WriteBatch batch_;
  size_t next_write_ = 0;  // writes of the finished batch already done
  bool blocked_ = false;
  uint64_t dropped_ = 0, gso_writes_ = 0, gso_segments_ = 0, tso_reads_ = 0, tso_segments_ = 0;
  std::unique_ptr<uint8_t[]> in_;  // vnet mode: one read (header + up to a 64 kB super-packet)
};

}  // namespace sslvpn::worker
