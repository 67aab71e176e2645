// Worker ids. They grow for the life of the server, but an OpenVPN client carries only their
// low 24 bits, its peer id (main finds a floating client's session by it), and openvpn gives
// peer id 0xffffff a meaning of its own ("none"). So an id is skipped when its peer id is 0,
// 0xffffff, or still held by a live worker: after 2^24 workers the ids wrap around in their
// low bits without two live sessions sharing one. Pure.
#pragma once

#include <cstdint>

namespace sslvpn::mainproc {

constexpr uint32_t kMaxPeerId = 0xffffff;

constexpr uint32_t peer_id_of(uint64_t worker_id) {
  return static_cast<uint32_t>(worker_id & kMaxPeerId);
}

// The next id from `next` (which moves past it); `held(peer_id)` says a live worker has that
// peer id. At most (live workers + 2) ids are skipped.
template <class Held>
uint64_t next_worker_id(uint64_t& next, Held&& held) {
  for (;;) {
    uint64_t id = next++;
    uint32_t p = peer_id_of(id);
    if (p != 0 && p != kMaxPeerId && !held(p)) return id;
  }
}

}  // namespace sslvpn::mainproc
