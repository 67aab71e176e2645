#include "worker/gp/gp_frame.hpp"

#include <cstring>

#include "worker/tun/inet_csum.hpp"

namespace sslvpn::gp {
namespace {

using tun::load_be16;
using tun::load_be32;
using tun::store_be16;
using tun::store_be32;

constexpr uint8_t kIcmpProto = 1;
constexpr uint8_t kEchoRequest = 8;
constexpr uint8_t kEchoReply = 0;

}  // namespace

Result<Frame> parse_frame(std::span<const uint8_t> in, size_t* consumed) {
  if (in.size() < kFrameHeader) return Errc::Truncated;
  if (load_be32(in.data()) != kFrameMagic) return Errc::Malformed;
  uint16_t ethertype = load_be16(in.data() + 4);
  uint16_t len = load_be16(in.data() + 6);
  Frame f;
  if (ethertype == 0) {
    if (len != 0) return Errc::Malformed;
    f.keepalive = true;
    *consumed = kFrameHeader;
    return f;
  }
  if (ethertype != kEtherIpv4 && ethertype != kEtherIpv6) return Errc::Malformed;
  if (len == 0 || len > kMaxFramePayload) return Errc::Malformed;
  if (in.size() - kFrameHeader < len) return Errc::Truncated;
  f.ethertype = ethertype;
  f.packet = in.subspan(kFrameHeader, len);
  uint8_t version = f.packet[0] >> 4;
  if ((ethertype == kEtherIpv4) != (version == 4) || (version != 4 && version != 6)) return Errc::Malformed;
  *consumed = kFrameHeader + len;
  return f;
}

void write_frame_header(uint8_t* out, std::span<const uint8_t> packet) {
  store_be32(out, kFrameMagic);
  bool v6 = !packet.empty() && (packet[0] >> 4) == 6;
  store_be16(out + 4, v6 ? kEtherIpv6 : kEtherIpv4);
  store_be16(out + 6, static_cast<uint16_t>(packet.size()));
  static constexpr uint8_t kTail[8] = {1, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(out + 8, kTail, sizeof kTail);
}

void write_keepalive(uint8_t* out) {
  std::memset(out, 0, kFrameHeader);
  store_be32(out, kFrameMagic);
}

bool is_magic_ping(std::span<const uint8_t> p, const IpAddr& gw) {
  if (!gw.is_v4() || p.size() < 20 || (p[0] >> 4) != 4) return false;
  size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
  size_t total = load_be16(p.data() + 2);
  if (ihl < 20 || total > p.size() || total < ihl + 8 + sizeof kMagicPayload) return false;
  if (p[9] != kIcmpProto || std::memcmp(p.data() + 16, gw.b.data(), 4) != 0) return false;
  const uint8_t* icmp = p.data() + ihl;
  return icmp[0] == kEchoRequest && icmp[1] == 0 &&
         std::memcmp(icmp + 8, kMagicPayload, sizeof kMagicPayload) == 0;
}

size_t build_magic_reply(std::span<const uint8_t> p, const IpAddr& gw, std::span<uint8_t> out) {
  if (!is_magic_ping(p, gw)) return 0;
  size_t total = load_be16(p.data() + 2);
  if (out.size() < total) return 0;
  size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
  std::memcpy(out.data(), p.data(), total);
  uint8_t* ip = out.data();
  // Addresses swapped, a fresh TTL, no options kept in the checksum's way.
  std::memcpy(ip + 12, p.data() + 16, 4);
  std::memcpy(ip + 16, p.data() + 12, 4);
  ip[8] = 64;
  store_be16(ip + 10, 0);
  store_be16(ip + 10, static_cast<uint16_t>(~tun::csum_add(0, std::span<const uint8_t>(ip, ihl))));
  uint8_t* icmp = ip + ihl;
  icmp[0] = kEchoReply;
  store_be16(icmp + 2, 0);
  store_be16(icmp + 2, static_cast<uint16_t>(~tun::csum_add(0, std::span<const uint8_t>(icmp, total - ihl))));
  return total;
}

}  // namespace sslvpn::gp
