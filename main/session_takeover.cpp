// An explicit address (a per-user file's explicit-ipv4, a client-config-dir's ifconfig-push, a
// RADIUS Framed-IP-Address) that the same user's detached session holds passes to the user's
// new session (main/sessions.hpp, acquire_explicit), and back if the new one gets no tunnel.
// Under replace-same-clients, a new session of a user at max-same-clients marks the user's
// oldest as replaced (make_room), takes their addresses (take_replaced), and main ends them once
// the new one's tunnel is granted.
#include <algorithm>

#include "main/sessions.hpp"

namespace sslvpn::mainproc {
namespace {
constexpr size_t kMaxEndedReplaced = 4096;
}  // namespace

std::optional<IpAddr> SessionManager::acquire_explicit(Session& s, bool v6, const IpAddr& want) {
  IpPool* pool = v6 ? s.v6 : s.v4;
  if (auto a = pool->acquire_exact(want)) return a;
  for (auto& [id, o] : sessions_) {
    auto& held = v6 ? o.ipv6 : o.ipv4;
    // The same user of the same host: a vhost has its own users, who may share a name.
    // A detached session's, or one this session replaces (its device goes with its worker).
    bool gone = o.worker == -1 ||
                (o.replaced && std::find(s.replacing.begin(), s.replacing.end(), id) != s.replacing.end());
    if (id == s.id || !gone || o.user != s.user || o.vhost != s.vhost || (v6 ? o.v6 : o.v4) != pool ||
        !held || !(*held == want))
      continue;
    held.reset();  // the address stays leased: to `s` now
    (v6 ? s.took_v6_from : s.took_v4_from) = id;
    return want;
  }
  return std::nullopt;
}

std::optional<IpAddr> SessionManager::take_replaced(Session& s, bool v6) {
  IpPool* pool = v6 ? s.v6 : s.v4;
  for (uint64_t id : s.replacing) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || (v6 ? it->second.v6 : it->second.v4) != pool) continue;
    auto& held = v6 ? it->second.ipv6 : it->second.ipv4;
    if (!held) continue;
    IpAddr a = *held;
    held.reset();  // the address stays leased: to `s` now
    (v6 ? s.took_v6_from : s.took_v4_from) = id;
    return a;
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
    if (it == sessions_.end() || (it->second.worker != -1 && !it->second.replaced) || !mine) continue;
    auto& theirs = v6 ? it->second.ipv6 : it->second.ipv4;
    if (theirs) continue;
    theirs = mine;  // the pool's slot moves with it
    mine.reset();
  }
}

void SessionManager::make_room(Session& s) {
  uint32_t max_same =
      s.settings.has_max_same_clients() ? s.settings.max_same_clients() : s.cfg->max_same_clients;
  if (!s.cfg->replace_same_clients || max_same == 0) return;
  size_t counted = connected_sessions_of(s.user, s.id);  // as admit() counts, every host's
  if (counted < max_same) return;
  size_t excess = counted - max_same + 1;
  // Only the same host's: a vhost has its own users, who may share a name with another's.
  std::vector<Session*> theirs;
  // A session still taking over from others (its tunnel not granted yet) is not one: its
  // replaced sessions, and the addresses it took, would be lost track of (two tunnels, one
  // address). The newer login is refused while it waits.
  for (auto& [id, o] : sessions_)
    if (id != s.id && o.worker > 0 && !o.replaced && o.user == s.user && o.vhost == s.vhost &&
        o.replacing.empty() && o.took_v4_from == 0 && o.took_v6_from == 0)
      theirs.push_back(&o);
  if (theirs.size() < excess) return;  // not enough on this host: s is refused, no one ends
  std::sort(theirs.begin(), theirs.end(), [](const Session* a, const Session* b) {
    return a->created != b->created ? a->created < b->created : a->id < b->id;
  });
  for (size_t i = 0; i < excess; ++i) {
    theirs[i]->replaced = true;
    s.replacing.push_back(theirs[i]->id);
  }
}

void SessionManager::unreplace(Session& s) {
  for (uint64_t id : std::exchange(s.replacing, {}))
    if (auto it = sessions_.find(id); it != sessions_.end()) it->second.replaced = false;
}

std::vector<SessionManager::Replaced> SessionManager::take_replacing(uint64_t sid) {
  std::vector<Replaced> out;
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) return out;
  for (uint64_t id : std::exchange(it->second.replacing, {})) {
    auto o = sessions_.find(id);
    if (o == sessions_.end()) continue;
    out.push_back({id, o->second.worker});
    ended_replaced_.push_back(id);
    if (ended_replaced_.size() > kMaxEndedReplaced) ended_replaced_.pop_front();
  }
  return out;
}

}  // namespace sslvpn::mainproc
