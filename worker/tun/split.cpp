#include "worker/tun/split.hpp"

#include <cstring>

#include "worker/tun/inet_csum.hpp"

namespace sslvpn::tun {
namespace {

// Finishes a partial checksum as skb_checksum_help does: the sum from csum_start to the end
// (its field holds the pseudo-header sum) goes, inverted, into the field.
bool complete_checksum(std::span<uint8_t> pkt, const VnetHdr& h) {
  size_t start = h.csum_start, field = size_t{h.csum_start} + h.csum_offset;
  if (start >= pkt.size() || field + 2 > pkt.size()) return false;
  uint16_t s = static_cast<uint16_t>(~csum_add(0, pkt.subspan(start)));
  if (s == 0) s = 0xffff;  // UDP sends "no checksum" as 0: a computed 0 goes as 0xffff
  store_be16(&pkt[field], s);
  return true;
}

Result<size_t> segment_tcp(std::span<const uint8_t> pkt, const VnetHdr& h, std::span<uint8_t> out,
                           size_t headroom, SegmentSink& sink) {
  auto v = parse_tcp(pkt);
  if (!v || v->v6 != (h.gso_type == kGsoTcpV6) || h.gso_size == 0) return Errc::Malformed;
  size_t hl = v->headers();
  if (headroom + hl + h.gso_size > out.size()) return Errc::Malformed;
  auto tcp0 = pkt.subspan(v->ip_len);
  uint32_t seq = load_be32(&tcp0[4]);
  uint8_t flags = tcp0[13];
  uint16_t ip_id = v->v6 ? 0 : load_be16(&pkt[4]);
  size_t n = 0;
  for (size_t off = 0; off < v->payload; off += h.gso_size, ++n) {
    size_t len = std::min<size_t>(h.gso_size, v->payload - off);
    bool last = off + len == v->payload;
    std::span<uint8_t> seg = out.subspan(headroom, hl + len);
    std::memcpy(seg.data(), pkt.data(), hl);
    std::memcpy(seg.data() + hl, pkt.data() + hl + off, len);
    if (v->v6) {
      store_be16(&seg[4], static_cast<uint16_t>(v->tcp_len + len));
    } else {
      store_be16(&seg[2], static_cast<uint16_t>(hl + len));
      store_be16(&seg[4], static_cast<uint16_t>(ip_id + n));
      store_be16(&seg[10], ipv4_header_checksum(seg.first(v->ip_len)));
    }
    auto tcp = seg.subspan(v->ip_len);
    store_be32(&tcp[4], seq + static_cast<uint32_t>(off));
    uint8_t f = flags;
    if (!last) f &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
    if (n > 0) f &= static_cast<uint8_t>(~kTcpCwr);
    tcp[13] = f;
    store_be16(&tcp[16], 0);
    uint16_t s =
        pseudo_header_sum(src_addr(seg, *v), dst_addr(seg, *v), kProtoTcp, static_cast<uint32_t>(tcp.size()));
    store_be16(&tcp[16], static_cast<uint16_t>(~csum_add(s, tcp)));
    sink.on_segment(seg.size());
  }
  return n;
}

}  // namespace

Result<size_t> split_packet(std::span<const uint8_t> in, std::span<uint8_t> out, size_t headroom,
                            SegmentSink& sink) {
  if (in.size() <= kVnetHdrSize) return Errc::Malformed;
  VnetHdr h = decode_vnet_hdr(in.first<kVnetHdrSize>());
  auto pkt = in.subspan(kVnetHdrSize);
  switch (h.gso_type & 0x7f) {
    case kGsoNone: {
      if (headroom + pkt.size() > out.size()) return Errc::Malformed;
      auto copy = out.subspan(headroom, pkt.size());
      std::memcpy(copy.data(), pkt.data(), pkt.size());
      if ((h.flags & kNeedsCsum) && !complete_checksum(copy, h)) return Errc::Malformed;
      sink.on_segment(copy.size());
      return size_t{1};
    }
    case kGsoTcpV4:
    case kGsoTcpV6:
      if (h.gso_type & 0x80) return Errc::Malformed;  // ECN GSO is not offered to the kernel
      return segment_tcp(pkt, h, out, headroom, sink);
    default:
      return Errc::Malformed;  // UDP and other offloads are not offered to the kernel
  }
}

}  // namespace sslvpn::tun
