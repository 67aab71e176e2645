#include "main/udp/reset_replies.hpp"

namespace sslvpn::mainproc::udp {

bool ResetReplies::allow(const ovpn::SessionId& sid, uint64_t now) {
  if (now != swept_ && seen_.size() > kSweepAbove) {
    std::erase_if(seen_, [&](const auto& e) { return e.second.second < now; });
    swept_ = now;
  }
  std::string key(reinterpret_cast<const char*>(sid.data()), sid.size());
  auto it = seen_.find(key);
  if (it == seen_.end()) {
    if (seen_.size() < kMax) seen_.emplace(std::move(key), Count{now, 1});
    return true;
  }
  Count& c = it->second;
  if (c.second != now) c = Count{now, 0};
  if (c.replies >= kPerSecond) return false;
  ++c.replies;
  return true;
}

void ResetReplies::refund(const ovpn::SessionId& sid, uint64_t now) {
  auto it = seen_.find(std::string(reinterpret_cast<const char*>(sid.data()), sid.size()));
  if (it != seen_.end() && it->second.second == now && it->second.replies > 0) --it->second.replies;
}

}  // namespace sslvpn::mainproc::udp
