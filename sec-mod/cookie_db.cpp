#include "sec-mod/cookie_db.hpp"

#include <gnutls/crypto.h>

#include <array>
#include <stdexcept>

#include "common/hex.hpp"

namespace sslvpn::secmod {

std::string CookieDb::issue(const std::string& user, const std::string& group, time_t now) {
  std::array<uint8_t, 32> raw{};
  // GNUTLS_RND_KEY: the strongest level; a failure here means no usable RNG at all.
  if (gnutls_rnd(GNUTLS_RND_KEY, raw.data(), raw.size()) < 0) throw std::runtime_error("gnutls_rnd failed");
  std::string cookie = hex_encode(raw);
  db_[cookie] = CookieEntry{user, group, now, now + static_cast<time_t>(timeout_s_)};
  return cookie;
}

const CookieEntry* CookieDb::find(const std::string& cookie, time_t now) const {
  auto it = db_.find(cookie);
  if (it == db_.end() || it->second.expires <= now) return nullptr;
  return &it->second;
}

size_t CookieDb::purge(time_t now) {
  size_t n = 0;
  for (auto it = db_.begin(); it != db_.end();) {
    if (it->second.expires <= now) {
      it = db_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

}  // namespace sslvpn::secmod
