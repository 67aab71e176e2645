// The stateless half of OpenVPN's three-way handshake over UDP (protocols.md C3), as a 2.6
// server does it: a client's HARD_RESET_CLIENT_V2 is answered with a server reset whose session
// id is an HMAC cookie over the time slot, the client's address and its session id; nothing is
// kept. Only a packet that returns a valid cookie (the client's CONTROL_V1 or ACK_V1, acking
// our reset under our session id) starts a worker. With tls-auth or tls-crypt, packets whose
// HMAC fails are dropped before anything else. Pure: bytes and the time in, a decision out.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "worker/openvpn/wire.hpp"
#include "worker/openvpn/wrap.hpp"

namespace sslvpn::mainproc::udp {

struct OvpnDecision {
  enum class Kind : uint8_t { Drop, Reply, Start };
  Kind kind = Kind::Drop;
  std::vector<uint8_t> reply;                  // Reply: the server reset to send back
  ovpn::SessionId client_sid{}, server_sid{};  // Start
  uint32_t wrap_time = 0;                      // Start: the replay time our replies use
  std::string client_key;                      // Start, tls-crypt-v2: the client's key Kc
  std::vector<uint8_t> metadata;               // Start, tls-crypt-v2: its metadata
};

class OvpnStateless {
 public:
  // `secret`: random per start. `hand_window`: openvpn's (60 s): a cookie is good for about that.
  // `v2_server_key` (128 bytes, or empty): tls-crypt-v2, where each client's packets are
  // wrapped with its own key, carried (wrapped with this one) after its reset and first
  // control packet; `keys` is then unused.
  OvpnStateless(std::array<uint8_t, 32> secret, ovpn::WrapKeys keys, uint32_t hand_window = 60,
                std::string v2_server_key = {});

  // `peer`: the sender as "ip:port"; `now`: seconds (wall clock: the reply's replay time too).
  OvpnDecision on_datagram(std::span<const uint8_t> d, std::string_view peer, uint64_t now);

  uint64_t bad_hmac() const { return bad_hmac_; }
  uint64_t bad_cookie() const { return bad_cookie_; }

 private:
  ovpn::SessionId cookie(uint64_t slot, std::string_view peer, const ovpn::SessionId& client) const;
  OvpnDecision decide(ovpn::ControlWrap& wrap, std::span<const uint8_t> d, std::string_view peer,
                      uint64_t now, bool v2);

  std::array<uint8_t, 32> secret_;
  ovpn::ControlWrap wrap_;
  SecretBytes v2_key_;
  uint32_t slot_len_;
  uint64_t bad_hmac_ = 0, bad_cookie_ = 0;
};

}  // namespace sslvpn::mainproc::udp
