// An explicit address (a per-user file's explicit-ipv4, a client-config-dir's ifconfig-push, a
// RADIUS Framed-IP-Address) that the same user's detached session holds passes to the user's
// new session (main/sessions.hpp, acquire_explicit), and back if the new one gets no tunnel.
// Under replace-same-clients, a new session of a user at max-same-clients detaches the user's
// oldest (make_room); main then ends those.
#include <algorithm>

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

void SessionManager::make_room(const Session& s) {
  uint32_t max_same =
      s.settings.has_max_same_clients() ? s.settings.max_same_clients() : s.cfg->max_same_clients;
  if (!s.cfg->replace_same_clients || max_same == 0) return;
  // Only the same host's: a vhost has its own users, who may share a name with another's.
  std::vector<Session*> theirs;
  for (auto& [id, o] : sessions_)
    if (id != s.id && o.worker > 0 && o.user == s.user && o.vhost == s.vhost) theirs.push_back(&o);
  if (theirs.size() < max_same) return;
  std::sort(theirs.begin(), theirs.end(), [](const Session* a, const Session* b) {
    return a->created != b->created ? a->created < b->created : a->id < b->id;
  });
  for (size_t i = 0; i + max_same <= theirs.size(); ++i) {
    replaced_.push_back({theirs[i]->id, theirs[i]->worker});
    theirs[i]->worker = -1;  // detached now: its explicit addresses can pass to s
  }
}

}  // namespace sslvpn::mainproc
