#include "worker/nvm/attribution.hpp"

#include <algorithm>

namespace sslvpn::nvm {
namespace {
constexpr int64_t kSlackMs = 5000;
}

void SessionDirectory::up(const Holder& h, const IpAddr& v4, const IpAddr& v6) {
  if (entries_ >= max_entries_) prune(h.from_ms + history_ms_);  // no room: the history goes first
  if (entries_ >= max_entries_) return;
  auto& keys = live_[h.tunnel_id];
  for (const IpAddr* a : {&v4, &v6}) {
    if (!a->valid()) continue;
    std::string k = key(*a);
    auto& list = by_addr_[k];
    // An address handed out again before we heard of the old tunnel's end: that one ended now.
    for (Holder& old : list)
      if (old.until_ms == 0) old.until_ms = h.from_ms;
    list.push_back(h);
    list.back().until_ms = 0;
    keys.push_back(std::move(k));
    ++entries_;
  }
}

void SessionDirectory::down(uint64_t tunnel_id, int64_t at_ms) {
  auto it = live_.find(tunnel_id);
  if (it == live_.end()) return;
  for (const std::string& k : it->second) {
    auto a = by_addr_.find(k);
    if (a == by_addr_.end()) continue;
    for (Holder& h : a->second)
      if (h.tunnel_id == tunnel_id && h.until_ms == 0) h.until_ms = std::max(at_ms, h.from_ms);
  }
  live_.erase(it);
}

void SessionDirectory::all_down(int64_t at_ms) {
  std::vector<uint64_t> ids;
  for (const auto& [id, keys] : live_) ids.push_back(id);
  for (uint64_t id : ids) down(id, at_ms);
}

const Holder* SessionDirectory::find(const IpAddr& a, int64_t at_ms) const {
  if (!a.valid()) return nullptr;
  auto it = by_addr_.find(key(a));
  if (it == by_addr_.end()) return nullptr;
  const Holder* best = nullptr;
  // Newest first: at a boundary the tunnel that started last wins.
  for (auto h = it->second.rbegin(); h != it->second.rend(); ++h) {
    bool after_start = at_ms >= h->from_ms - kSlackMs;
    bool before_end = h->until_ms == 0 || at_ms <= h->until_ms + kSlackMs;
    if (after_start && before_end) {
      best = &*h;
      break;
    }
  }
  return best;
}

void SessionDirectory::prune(int64_t now_ms) {
  for (auto it = by_addr_.begin(); it != by_addr_.end();) {
    auto& list = it->second;
    size_t before = list.size();
    list.erase(
        std::remove_if(list.begin(), list.end(),
                       [&](const Holder& h) { return h.until_ms != 0 && now_ms - h.until_ms > history_ms_; }),
        list.end());
    entries_ -= before - list.size();
    it = list.empty() ? by_addr_.erase(it) : std::next(it);
  }
}

}  // namespace sslvpn::nvm
