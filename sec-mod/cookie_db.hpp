// Session cookies: 32 random bytes (sent as 64 hex digits), held only in sec-mod and bound to
// a user and group. A cookie is a session: while a tunnel uses it, it does not expire; once
// the tunnel ends it lives cookie-timeout more (so the client can reconnect), unless the user
// logged out, which kills it at once.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <unordered_map>
#include <vector>

#include "ipc.pb.h"

namespace sslvpn::secmod {

// `bytes` random bytes (GnuTLS' key-grade generator) as lowercase hex.
std::string random_hex(size_t bytes);

struct CookieEntry {
  std::string user;
  std::string group;
  uint64_t session_id = 0;  // names the session to main without revealing the cookie
  time_t created = 0;
  time_t expires = 0;
  bool in_use = false;
  ipc::UserSettings settings;  // what the login method gave this session (RADIUS attributes)
  std::string vhost;           // the [vhost:NAME] the user logged in to ("" = the default host)
};

class CookieDb {
 public:
  explicit CookieDb(uint32_t timeout_s) : timeout_s_(timeout_s) {}

  // Issues a new cookie; returns its wire form.
  std::string issue(const std::string& user, const std::string& group, time_t now,
                    const ipc::UserSettings& settings = {}, const std::string& vhost = {});
  // The live entry for a cookie, or nullptr if it is unknown or expired.
  const CookieEntry* find(const std::string& cookie, time_t now) const;

  // A tunnel starts on this cookie: the entry is marked in use. nullptr if not live.
  const CookieEntry* open(const std::string& cookie, time_t now);
  // The tunnel of `session_id` ended: logout deletes; otherwise the cookie-timeout restarts.
  void detach(uint64_t session_id, bool logout, time_t now);
  // Drops expired entries that no tunnel uses; returns their session ids.
  std::vector<uint64_t> purge(time_t now);
  size_t size() const noexcept { return db_.size(); }
  // cookie-timeout changed (reload): applies to cookies detached from now on.
  void set_timeout(uint32_t timeout_s) noexcept { timeout_s_ = timeout_s; }

 private:
  uint32_t timeout_s_;
  std::unordered_map<std::string, CookieEntry> db_;
  std::unordered_map<uint64_t, std::string> by_session_;
};

}  // namespace sslvpn::secmod
