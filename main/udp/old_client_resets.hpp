// tls-crypt-v2 clients of openvpn 2.5 and older start a worker from their reset
// (openvpn-tls-crypt-v2-force-cookie = false; OvpnStateless::old_v2_client). This is what
// bounds them, shared by all of a port's listeners (IPv4 and IPv6): the session ids of the
// resets that started a worker, remembered for as long as such a reset could pass the time
// check (a captured reset sent again, to any of the server's addresses, starts nothing), and
// a rate of such starts. Pure: the time comes in.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <utility>

#include "worker/openvpn/wire.hpp"

namespace sslvpn::mainproc::udp {

class OldClientResets {
 public:
  static constexpr size_t kMax = 4096;      // ids remembered; past that, no more starts
  static constexpr uint64_t kAge = 300;     // a reset's time may be this far from ours
  static constexpr double kPerSecond = 20;  // starts from resets a second, and the burst

  // Whether a reset with this session id already started a worker (and may still pass).
  bool seen(const ovpn::SessionId& sid, uint64_t now);
  // Whether another start may go now: room for its id, and a token (taken).
  bool may_start(uint64_t now);
  // The start went ahead: its id is remembered.
  void remember(const ovpn::SessionId& sid, uint64_t now);
  size_t size() const { return ids_.size(); }

 private:
  void expire(uint64_t now);
  std::set<ovpn::SessionId> ids_;
  std::deque<std::pair<uint64_t, ovpn::SessionId>> order_;  // (forget at, id), oldest first
  double tokens_ = kPerSecond;
  uint64_t refilled_ = 0;
};

}  // namespace sslvpn::mainproc::udp
