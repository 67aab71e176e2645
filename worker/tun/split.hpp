// What a TUN device opened with IFF_VNET_HDR and TSO offloads gives on read: a virtio-net header
// and a packet that may be a TCP super-packet (up to 64 kB) or carry a partial checksum. This
// turns it into the packets it stands for, each with complete checksums, as the kernel's own
// GSO would have (sequence numbers, IPv4 ids, lengths; FIN and PSH only on the last segment,
// CWR only on the first).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/result.hpp"
#include "worker/tun/packet.hpp"

namespace sslvpn::tun {

// Receives each packet: it is at out[headroom, headroom + len); `out` is reused for the next.
class SegmentSink {
 public:
  virtual ~SegmentSink() = default;
  virtual void on_segment(size_t len) = 0;
};

// `in` is header + packet as read. Each resulting packet is built in `out` after `headroom`
// bytes (left for the caller's framing) and handed to the sink. Malformed (dropped): a header
// or packet this cannot make sense of, or a segment that would not fit in `out`. (An IPv6
// super-packet with extension headers would be one, which is why main offers the kernel TSO
// for IPv4 only: IPv6 arrives segmented by the kernel.)
// Returns the number of packets produced.
Result<size_t> split_packet(std::span<const uint8_t> in, std::span<uint8_t> out, size_t headroom,
                            SegmentSink& sink);

}  // namespace sslvpn::tun
