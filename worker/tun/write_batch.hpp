// Packets bound for the TUN device, batched so that consecutive TCP segments of one flow go to
// the kernel as one GSO packet (virtio-net header, IFF_VNET_HDR), which it routes, forwards and
// delivers as one instead of one by one (the receive half of GRO, done before the write).
//
// A segment joins the open group of its flow when the kernel's own GRO would merge it: plain
// IPv4 (no options) or IPv6 headers, ACK with at most PSH, next in sequence, headers equal but
// for sequence, PSH and checksums, no larger than the group's first payload, correct checksums
// (a segment that fails them is written alone, so the kernel drops it as before). A group ends
// at a short segment or PSH. Groups are written in the order they began, so each flow keeps
// its order. Without the virtio-net header every packet is its own write.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "worker/tun/packet.hpp"

namespace sslvpn::tun {

class WriteBatch {
 public:
  static constexpr size_t kMaxPackets = 64;
  // 64 packets of a 1500-byte MTU; larger packets make the batch full sooner.
  static constexpr size_t kArenaSize = 96 * 1024;
  static constexpr size_t kMaxGroupBytes = 65535;  // the IP length fields

  // The arena is left uninitialised: an idle tunnel's pages are never touched (not resident).
  explicit WriteBatch(bool vnet_hdr) : vnet_(vnet_hdr), arena_(new uint8_t[kArenaSize]) {}

  // Takes a copy of the packet. false (and nothing taken) when the batch is full: write it
  // out, clear(), and add again.
  bool add(std::span<const uint8_t> packet);
  bool empty() const noexcept { return groups_.empty(); }
  size_t packets() const noexcept { return packets_.size(); }

  // Ends every group and lays out the writes; call once, before write(i).
  void finish();
  size_t writes() const noexcept { return groups_.size(); }
  // The buffers of write i, in order (the virtio-net header first when enabled).
  std::span<const iovec> write(size_t i) const;
  // Segments carried by write i (1 when it was not merged).
  size_t segments(size_t i) const noexcept { return groups_[i].count; }
  void clear();

 private:
  struct Packet {
    size_t offset, size;
    size_t group;
  };
  struct Group {
    size_t first;  // index into packets_
    size_t count = 1;
    size_t bytes;
    uint32_t next_seq = 0;
    uint16_t gso_size = 0;
    bool open = false;  // may still take segments
    bool psh = false;
    TcpView view;
    std::array<uint8_t, kVnetHdrSize> vnet{};
    size_t iov_first = 0, iov_count = 0;
  };

  std::span<uint8_t> bytes_of(const Packet& p) { return {arena_.get() + p.offset, p.size}; }
  bool same_flow(const Group& g, std::span<const uint8_t> pkt, const TcpView& v);
  bool can_join(const Group& g, std::span<const uint8_t> pkt, const TcpView& v);

  bool vnet_;
  std::unique_ptr<uint8_t[]> arena_;
  size_t used_ = 0;
  std::vector<Packet> packets_;
  std::vector<Group> groups_;
  std::vector<iovec> iov_;
  std::vector<size_t> cursor_;  // finish(): the next iovec of each group
  bool finished_ = false;
};

}  // namespace sslvpn::tun
