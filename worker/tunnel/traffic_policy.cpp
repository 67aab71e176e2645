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

}  // namespace sslvpn::tunnel
