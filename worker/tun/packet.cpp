#include "worker/tun/packet.hpp"

#include <cstring>

#include "worker/tun/inet_csum.hpp"

namespace sslvpn::tun {

VnetHdr decode_vnet_hdr(std::span<const uint8_t, kVnetHdrSize> in) noexcept {
  VnetHdr h;
  h.flags = in[0];
  h.gso_type = in[1];
  std::memcpy(&h.hdr_len, &in[2], 2);
  std::memcpy(&h.gso_size, &in[4], 2);
  std::memcpy(&h.csum_start, &in[6], 2);
  std::memcpy(&h.csum_offset, &in[8], 2);
  return h;
}

void encode_vnet_hdr(const VnetHdr& h, std::span<uint8_t, kVnetHdrSize> out) noexcept {
  out[0] = h.flags;
  out[1] = h.gso_type;
  std::memcpy(&out[2], &h.hdr_len, 2);
  std::memcpy(&out[4], &h.gso_size, 2);
  std::memcpy(&out[6], &h.csum_start, 2);
  std::memcpy(&out[8], &h.csum_offset, 2);
}

std::optional<TcpView> parse_tcp(std::span<const uint8_t> pkt) noexcept {
  TcpView v;
  if (pkt.empty()) return std::nullopt;
  const uint8_t* p = pkt.data();
  if ((p[0] >> 4) == 4) {
    if (pkt.size() < 20) return std::nullopt;
    v.ip_len = size_t{p[0] & 0x0fu} * 4;
    if (v.ip_len < 20 || load_be16(p + 2) != pkt.size() || p[9] != kProtoTcp) return std::nullopt;
    if ((load_be16(p + 6) & 0x3fff) != 0) return std::nullopt;  // MF or a fragment offset
  } else if ((p[0] >> 4) == 6) {
    if (pkt.size() < 40) return std::nullopt;
    v.v6 = true;
    v.ip_len = 40;
    if (size_t{load_be16(p + 4)} + 40 != pkt.size() || p[6] != kProtoTcp) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (pkt.size() < v.ip_len + 20) return std::nullopt;
  v.tcp_len = static_cast<size_t>(p[v.ip_len + 12] >> 4) * 4;
  if (v.tcp_len < 20 || pkt.size() < v.ip_len + v.tcp_len) return std::nullopt;
  v.payload = pkt.size() - v.ip_len - v.tcp_len;
  return v;
}

std::span<const uint8_t> src_addr(std::span<const uint8_t> pkt, const TcpView& v) noexcept {
  return v.v6 ? pkt.subspan(8, 16) : pkt.subspan(12, 4);
}
std::span<const uint8_t> dst_addr(std::span<const uint8_t> pkt, const TcpView& v) noexcept {
  return v.v6 ? pkt.subspan(24, 16) : pkt.subspan(16, 4);
}

uint16_t ipv4_header_checksum(std::span<const uint8_t> ip) noexcept {
  uint16_t s = csum_add(0, ip.first(10));
  s = csum_add(s, ip.subspan(12));
  return static_cast<uint16_t>(~s);
}

bool checksums_ok(std::span<const uint8_t> pkt, const TcpView& v) noexcept {
  if (!v.v6 && ipv4_header_checksum(pkt.first(v.ip_len)) != load_be16(pkt.data() + 10)) return false;
  auto tcp = pkt.subspan(v.ip_len);
  uint16_t s =
      pseudo_header_sum(src_addr(pkt, v), dst_addr(pkt, v), kProtoTcp, static_cast<uint32_t>(tcp.size()));
  return csum_add(s, tcp) == 0xffff;
}

}  // namespace sslvpn::tun
