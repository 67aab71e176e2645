// Datagrams from a client's new address (an OpenVPN client floating, a DTLS or ESP client's NAT
// rebinding) that main passed to the session's worker to check, without a socket, and whose
// answer it awaits. The worker answers every one, in order (PathChecked; SessionStats.
// moved_to_handoff for one that authenticated), so the window only holds what is in flight;
// when it is full, new datagrams are not passed (the client's next one gets its turn) and none
// already passed is forgotten: a flood of forgeries cannot push out the real client's datagram.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "main/udp/udp_socket.hpp"

namespace sslvpn::mainproc {

struct PathCheck {
  uint32_t handoff = 0;  // UdpSocket.handoff it went with
  std::string peer;      // its sender: "ip|port" (OpenVPN), "ip:port" (DTLS)
  Datagram d;            // its addresses: the socket made when it authenticates
  uint16_t port = 0;     // the listener's
};

class PathCheckWindow {
 public:
  static constexpr size_t kMax = 64;
  // Datagrams from other addresses than the one the client's TLS connection came from may take
  // only this many: a flood of forgeries from anywhere (ESP's SPI travels in clear) leaves the
  // rest to the client's own address, where a NAT rebinding comes from.
  static constexpr size_t kMaxOthers = 48;

  bool full() const noexcept { return checks_.size() >= kMax; }
  bool full_for(bool from_client_address) const noexcept {
    return checks_.size() >= (from_client_address ? kMax : kMaxOthers);
  }
  size_t size() const noexcept { return checks_.size(); }
  void add(PathCheck c) { checks_.push_back(std::move(c)); }
  // The worker has answered every check up to and including `handoff`: those are forgotten.
  // By position, since handoff numbers may wrap; an unknown number changes nothing.
  void answered_through(uint32_t handoff) { (void)take(handoff); }
  // The check `handoff` authenticated: it is returned, and it and those before it are forgotten.
  std::optional<PathCheck> take(uint32_t handoff) {
    for (auto it = checks_.begin(); it != checks_.end(); ++it)
      if (it->handoff == handoff) {
        PathCheck c = std::move(*it);
        checks_.erase(checks_.begin(), std::next(it));
        return c;
      }
    return std::nullopt;
  }

 private:
  std::deque<PathCheck> checks_;
};

}  // namespace sslvpn::mainproc
