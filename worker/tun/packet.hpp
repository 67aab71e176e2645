// What the TUN offload code needs to know about a packet: the virtio-net header the kernel puts
// before each packet on a device opened with IFF_VNET_HDR, and a checked view of TCP packets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sslvpn::tun {

// struct virtio_net_hdr (legacy layout, native byte order: the TUN default).
inline constexpr size_t kVnetHdrSize = 10;
inline constexpr uint8_t kNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr uint8_t kGsoNone = 0;
inline constexpr uint8_t kGsoTcpV4 = 1;
inline constexpr uint8_t kGsoTcpV6 = 4;

struct VnetHdr {
  uint8_t flags = 0;
  uint8_t gso_type = kGsoNone;
  uint16_t hdr_len = 0;
  uint16_t gso_size = 0;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 0;
};
VnetHdr decode_vnet_hdr(std::span<const uint8_t, kVnetHdrSize> in) noexcept;
void encode_vnet_hdr(const VnetHdr& h, std::span<uint8_t, kVnetHdrSize> out) noexcept;

inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08, kTcpAck = 0x10,
                         kTcpUrg = 0x20, kTcpEce = 0x40, kTcpCwr = 0x80;

// An IPv4 packet (options allowed, not a fragment) or an IPv6 packet (no extension headers)
// carrying TCP, whose length fields agree with the bytes.
struct TcpView {
  bool v6 = false;
  size_t ip_len = 0;   // IP header bytes
  size_t tcp_len = 0;  // TCP header bytes (with options)
  size_t payload = 0;  // TCP payload bytes
  size_t headers() const noexcept { return ip_len + tcp_len; }
};
std::optional<TcpView> parse_tcp(std::span<const uint8_t> pkt) noexcept;

// Address spans of a packet parse_tcp accepted.
std::span<const uint8_t> src_addr(std::span<const uint8_t> pkt, const TcpView& v) noexcept;
std::span<const uint8_t> dst_addr(std::span<const uint8_t> pkt, const TcpView& v) noexcept;

// The IPv4 header checksum of the header at `ip` (ip_len bytes), computed with its field as zero.
uint16_t ipv4_header_checksum(std::span<const uint8_t> ip) noexcept;
// True when the packet's TCP checksum (and IPv4 header checksum) are right.
bool checksums_ok(std::span<const uint8_t> pkt, const TcpView& v) noexcept;

}  // namespace sslvpn::tun
