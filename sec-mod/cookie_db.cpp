#include "sec-mod/cookie_db.hpp"

#include <gnutls/crypto.h>

#include <array>
#include <vector>

#include "common/check.hpp"
#include "common/hex.hpp"

namespace sslvpn::secmod {
namespace {

void random_bytes(void* p, size_t n) {
  // GNUTLS_RND_KEY: the strongest level. A failure means no usable RNG at all: no cookie may
  // be issued, and nothing thrown may unwind through the libev callback that got us here.
  VPN_CHECK(gnutls_rnd(GNUTLS_RND_KEY, p, n) >= 0, "the random generator failed");
}

}  // namespace

std::string random_hex(size_t bytes) {
  std::vector<uint8_t> raw(bytes);
  random_bytes(raw.data(), raw.size());
  return hex_encode(raw);
}

std::string CookieDb::issue(const std::string& user, const std::string& group, time_t now,
                            const ipc::UserSettings& settings, const std::string& vhost) {
  std::array<uint8_t, 32> raw{};
  random_bytes(raw.data(), raw.size());
  std::string cookie = hex_encode(raw);
  uint64_t sid = 0;
  do {
    random_bytes(&sid, sizeof sid);
  } while (sid == 0 || by_session_.count(sid));
  db_[cookie] =
      CookieEntry{user, group, sid, now, now + static_cast<time_t>(timeout_s_), false, settings, vhost};
  by_session_[sid] = cookie;
  return cookie;
}

const CookieEntry* CookieDb::find(const std::string& cookie, time_t now) const {
  auto it = db_.find(cookie);
  if (it == db_.end()) return nullptr;
  if (!it->second.in_use && it->second.expires <= now) return nullptr;
  return &it->second;
}

const CookieEntry* CookieDb::open(const std::string& cookie, time_t now) {
  auto it = db_.find(cookie);
  if (it == db_.end()) return nullptr;
  if (!it->second.in_use && it->second.expires <= now) return nullptr;
  it->second.in_use = true;
  return &it->second;
}

void CookieDb::detach(uint64_t session_id, bool logout, time_t now) {
  auto s = by_session_.find(session_id);
  if (s == by_session_.end()) return;
  auto it = db_.find(s->second);
  if (logout) {
    if (it != db_.end()) db_.erase(it);
    by_session_.erase(s);
    return;
  }
  if (it != db_.end()) {
    it->second.in_use = false;
    it->second.expires = now + static_cast<time_t>(timeout_s_);
  }
}

std::vector<uint64_t> CookieDb::purge(time_t now) {
  std::vector<uint64_t> gone;
  for (auto it = db_.begin(); it != db_.end();) {
    if (!it->second.in_use && it->second.expires <= now) {
      gone.push_back(it->second.session_id);
      by_session_.erase(it->second.session_id);
      it = db_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

}  // namespace sslvpn::secmod
