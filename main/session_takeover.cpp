// An explicit address (a per-user file's explicit-ipv4, a client-config-dir's ifconfig-push, a
// RADIUS Framed-IP-Address) that the same user's detached session holds passes to the user's
// new session (main/sessions.hpp, acquire_explicit), and back if the new one gets no tunnel.
#include "main/sessions.hpp"

namespace sslvpn::mainproc {

std::optional<IpAddr> SessionManager::acquire_explicit(Session& s, bool v6, const IpAddr& want) {
  IpPool* pool = v6 ? s.v6 : s.v4;
  if (auto a = pool->acquire_exact(want)) return a;
  for (auto& [id, o] : sessions_) {
    auto& held = v6 ? o.ipv6 : o.ipv4;
    // The same user of the same host: a vhost has its own users, who may share a name.
    if (id == s.id || o.worker != -1 || o.user != s.user || o.vhost != s.vhost ||
        (v6 ? o.v6 : o.v4) != pool || !held || !(*held == want))
      continue;
    held.reset();  // the address stays leased: to `s` now
    (v6 ? s.took_v6_from : s.took_v4_from) = id;
    return want;
  }
  return std::nullopt;
}

void SessionManager::give_back(Session& s) {
  if (s.worker > 0) return;  // a tunnel of s uses them (another open of s failed): they stay
  for (bool v6 : {false, true}) {
    uint64_t& from = v6 ? s.took_v6_from : s.took_v4_from;
    auto& mine = v6 ? s.ipv6 : s.ipv4;
    auto it = sessions_.find(from);
    from = 0;
    if (it == sessions_.end() || it->second.worker != -1 || !mine) continue;
    auto& theirs = v6 ? it->second.ipv6 : it->second.ipv4;
    if (theirs) continue;
    theirs = mine;  // the pool's slot moves with it
    mine.reset();
  }
}

}  // namespace sslvpn::mainproc
