#include "main/ban_db.hpp"

#include <cstdint>

#include "common/ip_addr.hpp"

namespace sslvpn::mainproc {
namespace {

// Addresses tracked at once. A flood from many addresses cannot make main's memory grow
// without bound; past this, a new address takes the place of one that is not banned (bans
// stay), so points for new addresses are still counted.
constexpr size_t kMaxEntries = 100000;
// Entries looked at for one to give up (bounded work per new address); if all are bans, the
// new address's points are not recorded.
constexpr int kEvictScan = 64;

}  // namespace

std::string BanDb::key_of(const std::string& ip) {
  auto a = parse_ip(ip);
  if (!a || a->is_v4()) return ip;
  IpNet n{*a, 64};
  return parse_ip_net(n.to_string())->to_string();  // clears the host bits
}

bool BanDb::add_points(const std::string& ip, uint32_t points, time_t now) {
  if (s_.max_score == 0) return false;
  std::string key = key_of(ip);
  auto it = db_.find(key);
  if (it == db_.end()) {
    if (db_.size() >= kMaxEntries && !evict_one(now)) return false;
    it = db_.emplace(key, BanEntry{key, 0, now, 0}).first;
  }
  BanEntry& e = it->second;
  // After a ban, or after ban-reset-time without points, the address starts again from zero.
  bool ban_over = e.banned_until != 0 && e.banned_until <= now;
  if (ban_over || now - e.last_points >= static_cast<time_t>(s_.reset_time)) {
    e.score = 0;
    e.banned_until = 0;
  }
  e.score = points > UINT32_MAX - e.score ? UINT32_MAX : e.score + points;  // saturates
  e.last_points = now;
  // The score stays as it was when the ban began, so "show ip ban points" tells why.
  if (e.score >= s_.max_score && e.banned_until <= now)
    e.banned_until = now + static_cast<time_t>(s_.ban_time);
  return e.banned_until > now;
}

bool BanDb::evict_one(time_t now) {
  // The table's own order is the hash's: which address goes is not the sender's to choose.
  auto victim = db_.end();
  int seen = 0;
  for (auto it = db_.begin(); it != db_.end() && seen < kEvictScan; ++it, ++seen) {
    if (it->second.banned_until > now) continue;
    if (victim == db_.end() || it->second.last_points < victim->second.last_points) victim = it;
  }
  if (victim == db_.end()) return false;
  db_.erase(victim);
  return true;
}

bool BanDb::is_banned(const std::string& ip, time_t now) const {
  if (s_.max_score == 0) return false;
  auto it = db_.find(key_of(ip));
  return it != db_.end() && it->second.banned_until > now;
}

bool BanDb::unban(const std::string& ip) {
  auto it = db_.find(key_of(ip));
  if (it == db_.end()) return false;
  db_.erase(it);
  return true;
}

std::vector<BanEntry> BanDb::entries(time_t now) const {
  std::vector<BanEntry> out;
  for (const auto& [k, e] : db_)
    if (e.banned_until > now || now - e.last_points < static_cast<time_t>(s_.reset_time)) out.push_back(e);
  return out;
}

size_t BanDb::banned_count(time_t now) const {
  size_t n = 0;
  for (const auto& [k, e] : db_) n += e.banned_until > now;
  return n;
}

void BanDb::expire(time_t now) {
  for (auto it = db_.begin(); it != db_.end();) {
    const BanEntry& e = it->second;
    if (e.banned_until <= now && now - e.last_points >= static_cast<time_t>(s_.reset_time))
      it = db_.erase(it);
    else
      ++it;
  }
}

}  // namespace sslvpn::mainproc
