#include "worker/tun/write_batch.hpp"

#include <cstring>

#include "worker/tun/inet_csum.hpp"

namespace sslvpn::tun {
namespace {

uint8_t tcp_flags(std::span<const uint8_t> pkt, const TcpView& v) {
  return pkt[v.ip_len + 13];
}
uint32_t tcp_seq(std::span<const uint8_t> pkt, const TcpView& v) {
  return load_be32(&pkt[v.ip_len + 4]);
}

// A segment GRO could merge at all: plain headers, data, ACK with at most PSH, sound checksums.
bool mergeable(std::span<const uint8_t> pkt, const TcpView& v) {
  if (!v.v6 && v.ip_len != 20) return false;
  if (v.payload == 0) return false;
  if ((tcp_flags(pkt, v) & ~kTcpPsh) != kTcpAck) return false;
  return checksums_ok(pkt, v);
}

bool equal_bytes(std::span<const uint8_t> a, std::span<const uint8_t> b, size_t from, size_t to) {
  return std::memcmp(a.data() + from, b.data() + from, to - from) == 0;
}

}  // namespace

bool WriteBatch::same_flow(const Group& g, std::span<const uint8_t> pkt, const TcpView& v) {
  auto head = bytes_of(packets_[g.first]);
  if (g.view.v6 != v.v6) return false;
  if (v.v6) {
    if (!equal_bytes(head, pkt, 8, 40)) return false;  // addresses
  } else if (!equal_bytes(head, pkt, 12, 20)) {
    return false;
  }
  return equal_bytes(head.subspan(g.view.ip_len), pkt.subspan(v.ip_len), 0, 4);  // ports
}

bool WriteBatch::can_join(const Group& g, std::span<const uint8_t> pkt, const TcpView& v) {
  if (!g.open || g.count >= kMaxPackets || g.bytes + v.payload > kMaxGroupBytes) return false;
  if (v.payload > g.gso_size || tcp_seq(pkt, v) != g.next_seq || v.tcp_len != g.view.tcp_len) return false;
  auto head = bytes_of(packets_[g.first]);
  if (v.v6) {
    if (!equal_bytes(head, pkt, 0, 4) || head[7] != pkt[7]) return false;  // class, flow, hop limit
  } else if (head[1] != pkt[1] || head[8] != pkt[8] || (head[6] & 0x40) != (pkt[6] & 0x40)) {
    return false;  // TOS, TTL, DF
  }
  std::span<const uint8_t> ht = head.subspan(g.view.ip_len), pt = pkt.subspan(v.ip_len);
  if (!equal_bytes(ht, pt, 8, 13) || !equal_bytes(ht, pt, 14, 16)) return false;  // ack, offset, window
  if ((ht[13] & ~kTcpPsh) != (pt[13] & ~kTcpPsh)) return false;
  return equal_bytes(ht, pt, 18, v.tcp_len);  // urgent pointer and options
}

bool WriteBatch::add(std::span<const uint8_t> packet) {
  if (finished_ || packets_.size() >= kMaxPackets || packet.size() > kArenaSize - used_) return false;
  size_t index = packets_.size();
  std::memcpy(arena_.get() + used_, packet.data(), packet.size());
  packets_.push_back({used_, packet.size(), 0});
  used_ += packet.size();
  auto pkt = bytes_of(packets_.back());

  std::optional<TcpView> v = vnet_ ? parse_tcp(pkt) : std::nullopt;
  bool can_merge = v && mergeable(pkt, *v);
  if (v) {
    // The newest group of this flow, if it is still open.
    for (size_t i = groups_.size(); i-- > 0;) {
      Group& g = groups_[i];
      if (!g.open || !same_flow(g, pkt, *v)) continue;
      if (can_merge && can_join(g, pkt, *v)) {
        g.count++;
        g.bytes += v->payload;
        g.next_seq += static_cast<uint32_t>(v->payload);
        if (tcp_flags(pkt, *v) & kTcpPsh) g.psh = true;
        if (g.psh || v->payload < g.gso_size) g.open = false;
        packets_.back().group = i;
        return true;
      }
      g.open = false;  // this flow continues in a new group, written after this one
      break;
    }
  }
  Group g;
  g.first = index;
  g.bytes = packet.size();
  if (can_merge) {
    g.view = *v;
    g.gso_size = static_cast<uint16_t>(v->payload);
    g.next_seq = tcp_seq(pkt, *v) + static_cast<uint32_t>(v->payload);
    g.psh = (tcp_flags(pkt, *v) & kTcpPsh) != 0;
    g.open = !g.psh;
  }
  packets_.back().group = groups_.size();
  groups_.push_back(g);
  return true;
}

void WriteBatch::finish() {
  if (finished_) return;
  finished_ = true;
  size_t next_iov = 0;
  for (Group& g : groups_) {
    g.iov_first = next_iov;
    g.iov_count = g.count + (vnet_ ? 1 : 0);
    next_iov += g.iov_count;
    VnetHdr h;
    if (g.count > 1) {
      auto head = bytes_of(packets_[g.first]);
      const TcpView& v = g.view;
      if (v.v6) {
        store_be16(&head[4], static_cast<uint16_t>(g.bytes - 40));
      } else {
        store_be16(&head[2], static_cast<uint16_t>(g.bytes));
        store_be16(&head[10], ipv4_header_checksum(head.first(v.ip_len)));
      }
      if (g.psh) head[v.ip_len + 13] |= kTcpPsh;
      // CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the kernel finishes it.
      uint16_t pseudo = pseudo_header_sum(src_addr(head, v), dst_addr(head, v), kProtoTcp,
                                          static_cast<uint32_t>(g.bytes - v.ip_len));
      store_be16(&head[v.ip_len + 16], pseudo);
      h.flags = kNeedsCsum;
      h.gso_type = v.v6 ? kGsoTcpV6 : kGsoTcpV4;
      h.hdr_len = static_cast<uint16_t>(v.headers());
      h.gso_size = g.gso_size;
      h.csum_start = static_cast<uint16_t>(v.ip_len);
      h.csum_offset = 16;
    }
    encode_vnet_hdr(h, g.vnet);
  }
  iov_.assign(next_iov, iovec{});
  cursor_.assign(groups_.size(), 0);
  for (size_t i = 0; i < groups_.size(); ++i) {
    Group& g = groups_[i];
    cursor_[i] = g.iov_first;
    if (vnet_) iov_[cursor_[i]++] = {g.vnet.data(), g.vnet.size()};
  }
  for (size_t i = 0; i < packets_.size(); ++i) {
    const Packet& p = packets_[i];
    const Group& g = groups_[p.group];
    size_t skip = i == g.first ? 0 : g.view.headers();  // later segments give only their payload
    iov_[cursor_[p.group]++] = {arena_.get() + p.offset + skip, p.size - skip};
  }
}

std::span<const iovec> WriteBatch::write(size_t i) const {
  const Group& g = groups_[i];
  return {iov_.data() + g.iov_first, g.iov_count};
}

void WriteBatch::clear() {
  packets_.clear();
  groups_.clear();
  iov_.clear();
  cursor_.clear();
  used_ = 0;
  finished_ = false;
}

}  // namespace sslvpn::tun
