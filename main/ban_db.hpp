// Brute-force bans by client address, with ocserv's points model: each connection and each
// wrong password adds points to the address; at max-ban-score it is banned for ban-time
// seconds; points older than ban-reset-time are forgotten. IPv6 addresses count per /64.
// A banned address is refused in main, before any worker exists.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/keyed_hash.hpp"

namespace sslvpn::mainproc {

struct BanSettings {
  uint32_t max_score = 80;  // 0 = bans off
  uint32_t ban_time = 300;
  uint32_t reset_time = 1200;
};

struct BanEntry {
  std::string key;  // the address, or the /64 for IPv6
  uint32_t score = 0;
  time_t last_points = 0;
  time_t banned_until = 0;
};

class BanDb {
 public:
  explicit BanDb(BanSettings s) : s_(s) {}
  // New limits (reload); the points already counted stay.
  void configure(BanSettings s) { s_ = s; }

  // Adds points; returns true if the address is banned now.
  bool add_points(const std::string& ip, uint32_t points, time_t now);
  bool is_banned(const std::string& ip, time_t now) const;
  bool unban(const std::string& ip);
  std::vector<BanEntry> entries(time_t now) const;
  size_t banned_count(time_t now) const;
  // Drops entries with no ban and no recent points; bounds memory.
  void expire(time_t now);

  // The key an address is counted under (IPv6: its /64).
  static std::string key_of(const std::string& ip);

 private:
  bool evict_one(time_t now);  // the table is full: frees a place held by no ban
  BanSettings s_;
  // Keyed: the addresses are the peers' choice (an IPv6 prefix holds many /64s).
  std::unordered_map<std::string, BanEntry, KeyedStringHash> db_;
};

}  // namespace sslvpn::mainproc
