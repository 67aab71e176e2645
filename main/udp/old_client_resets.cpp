#include "main/udp/old_client_resets.hpp"

#include <algorithm>

namespace sslvpn::mainproc::udp {

void OldClientResets::expire(uint64_t now) {
  while (!order_.empty() && order_.front().first <= now) {
    ids_.erase(order_.front().second);
    order_.pop_front();
  }
}

bool OldClientResets::seen(const ovpn::SessionId& sid, uint64_t now) {
  expire(now);
  return ids_.count(sid) != 0;
}

bool OldClientResets::may_start(uint64_t now) {
  expire(now);
  if (ids_.size() >= kMax) return false;
  if (now > refilled_) {
    tokens_ = std::min(kPerSecond, tokens_ + static_cast<double>(now - refilled_) * kPerSecond);
    refilled_ = now;
  }
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void OldClientResets::remember(const ovpn::SessionId& sid, uint64_t now) {
  // A reset dated up to kAge ahead of us passes until kAge after its date: 2 kAge from now.
  if (ids_.insert(sid).second) order_.emplace_back(now + 2 * kAge + 1, sid);
}

}  // namespace sslvpn::mainproc::udp
