// Session cookies: 32 random bytes (sent as 64 hex digits), bound to a user and group,
// held only in sec-mod, valid for cookie-timeout seconds.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <unordered_map>

namespace sslvpn::secmod {

struct CookieEntry {
  std::string user;
  std::string group;
  time_t created = 0;
  time_t expires = 0;
};

class CookieDb {
 public:
  explicit CookieDb(uint32_t timeout_s) : timeout_s_(timeout_s) {}

  // Issues a new cookie; returns its wire form.
  std::string issue(const std::string& user, const std::string& group, time_t now);
  // The live entry for a cookie, or nullptr if it is unknown or expired.
  const CookieEntry* find(const std::string& cookie, time_t now) const;
  void remove(const std::string& cookie) { db_.erase(cookie); }
  // Drops expired entries; returns how many.
  size_t purge(time_t now);
  size_t size() const noexcept { return db_.size(); }

 private:
  uint32_t timeout_s_;
  std::unordered_map<std::string, CookieEntry> db_;
};

}  // namespace sslvpn::secmod
