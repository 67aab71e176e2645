#include "worker/tunnel/traffic_policy.hpp"

#include <sys/socket.h>

#include <algorithm>

namespace sslvpn::tunnel {
namespace {

// The balance may build up to this much time's worth (and at least 16 KiB): short bursts pass,
// a sustained rate is held to the limit.
constexpr double kBurstSeconds = 0.05;
constexpr double kMinBurst = 16 * 1024;

}  // namespace

ByteBudget::ByteBudget(uint64_t bytes_per_s, Clock::time_point now)
    : rate_(bytes_per_s),
      balance_(std::max(kMinBurst, static_cast<double>(bytes_per_s) * kBurstSeconds)),
      burst_(balance_),
      last_(now) {}

void ByteBudget::refill(Clock::time_point now) {
  if (now <= last_) return;
  double secs = std::chrono::duration<double>(now - last_).count();
  balance_ = std::min(burst_, balance_ + secs * static_cast<double>(rate_));
  last_ = now;
}

void ByteBudget::charge(size_t bytes, Clock::time_point now) {
  if (!limited()) return;
  refill(now);
  balance_ -= static_cast<double>(bytes);
}

bool ByteBudget::ready(Clock::time_point now) {
  if (!limited()) return true;
  refill(now);
  return balance_ >= 0;
}

ByteBudget::Clock::time_point ByteBudget::ready_at(Clock::time_point now) const {
  if (!limited() || balance_ >= 0) return now;
  double secs = -balance_ / static_cast<double>(rate_);
  auto t = last_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(secs));
  return std::max(t, now);
}

bool destination_allowed(std::span<const uint8_t> p, const std::vector<IpNet>& allowed) {
  if (allowed.empty()) return true;
  if (p.empty()) return false;
  IpAddr dst;
  uint8_t version = p[0] >> 4;
  if (version == 4 && p.size() >= 20) {
    dst.family = AF_INET;
    std::copy(p.begin() + 16, p.begin() + 20, dst.b.begin());
  } else if (version == 6 && p.size() >= 40) {
    dst.family = AF_INET6;
    std::copy(p.begin() + 24, p.begin() + 40, dst.b.begin());
  } else {
    return false;
  }
  for (const auto& n : allowed)
    if (n.contains(dst)) return true;
  return false;
}

bool source_allowed(std::span<const uint8_t> p, const std::optional<IpAddr>& ipv4,
                    const std::optional<IpNet>& ipv6) {
  if (p.empty()) return false;
  uint8_t version = p[0] >> 4;
  if (version == 4) {
    if (p.size() < 20 || !ipv4) return false;
    return std::equal(p.begin() + 12, p.begin() + 16, ipv4->b.begin());
  }
  if (version == 6) {
    if (p.size() < 40 || !ipv6) return false;
    IpAddr src;
    src.family = ipv6->addr.family;
    std::copy(p.begin() + 8, p.begin() + 24, src.b.begin());
    return ipv6->contains(src);
  }
  return false;
}

namespace {

// The transport protocol of an IPv4/IPv6 packet and the offset of its header; nullopt for a
// fragment after the first (no transport header) or a packet too short to say.
struct Transport {
  uint8_t protocol = 0;
  size_t offset = 0;
  bool later_fragment = false;
};

std::optional<Transport> transport_of(std::span<const uint8_t> p) {
  if (p.empty()) return std::nullopt;
  Transport t;
  if ((p[0] >> 4) == 4) {
    if (p.size() < 20) return std::nullopt;
    size_t ihl = (p[0] & 0x0F) * 4u;
    if (ihl < 20 || ihl > p.size()) return std::nullopt;
    t.later_fragment = ((p[6] & 0x1F) << 8 | p[7]) != 0;
    t.protocol = p[9];
    t.offset = ihl;
    return t;
  }
  if ((p[0] >> 4) != 6 || p.size() < 40) return std::nullopt;
  uint8_t next = p[6];
  size_t off = 40;
  for (int i = 0; i < 8; ++i) {                   // bounded: at most 8 extension headers
    if (next == 0 || next == 43 || next == 60) {  // hop-by-hop, routing, destination options
      if (off + 2 > p.size()) return std::nullopt;
      uint8_t following = p[off];
      off += (p[off + 1] + 1u) * 8u;
      next = following;
      continue;
    }
    if (next == 44) {  // fragment
      if (off + 8 > p.size()) return std::nullopt;
      t.later_fragment = ((p[off + 2] << 8 | p[off + 3]) & 0xFFF8) != 0;
      next = p[off];
      off += 8;
      continue;
    }
    if (next == 51) {  // authentication header: its length counts 4-byte words, less 2
      if (off + 2 > p.size()) return std::nullopt;
      uint8_t following = p[off];
      off += (p[off + 1] + 2u) * 4u;
      next = following;
      continue;
    }
    break;
  }
  // Still an extension header after 8 of them: which transport follows is unknown, and a deny
  // list must not let it through as "some other protocol".
  if (next == 0 || next == 43 || next == 44 || next == 51 || next == 60) return std::nullopt;
  t.protocol = next;
  t.offset = off;
  return t;
}

}  // namespace

bool ports_allowed(std::span<const uint8_t> p, const PortFilter& f) {
  if (f.empty()) return true;
  auto t = transport_of(p);
  if (!t) return false;
  if (t->later_fragment) return true;
  bool has_port = t->protocol == 6 || t->protocol == 17 || t->protocol == 132;
  if (has_port && t->offset + 4 > p.size()) return false;
  uint16_t port = has_port ? static_cast<uint16_t>(p[t->offset + 2] << 8 | p[t->offset + 3]) : 0;
  bool match = false;
  for (const auto& r : f.rules)
    if (r.protocol == t->protocol && (r.port == 0 || (has_port && r.port == port))) match = true;
  return f.deny ? !match : match;
}

PortFilter port_filter_from(const std::string& text) {
  if (text.empty()) return {};
  std::string error;
  if (auto f = parse_port_filter(text, &error)) return *f;
  PortFilter nothing;
  nothing.rules.push_back({255, 0});  // protocol 255 (reserved): matches no packet
  return nothing;
}

}  // namespace sslvpn::tunnel
