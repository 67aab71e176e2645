// The stateless half of OpenVPN's three-way handshake over UDP (protocols.md C3), as a 2.6
// server does it: a client's HARD_RESET_CLIENT_V2 is answered with a server reset whose session
// id is an HMAC cookie over the time slot, the client's address and its session id; nothing is
// kept. Only a packet that returns a valid cookie (the client's CONTROL_V1 or ACK_V1, acking
// our reset under our session id) starts a worker. With tls-auth or tls-crypt, packets whose
// HMAC fails are dropped before anything else. Pure: bytes and the time in, a decision out.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "main/udp/old_client_resets.hpp"
#include "worker/openvpn/wire.hpp"
#include "worker/openvpn/wrap.hpp"

namespace sslvpn::mainproc::udp {

struct OvpnDecision {
  enum class Kind : uint8_t { Drop, Reply, Start };
  Kind kind = Kind::Drop;
  std::vector<uint8_t> reply;                  // Reply: the server reset to send back
  ovpn::SessionId client_sid{}, server_sid{};  // Start (server_sid unset when from_reset); Reply: client_sid
  bool from_reset = false;        // Start: from an old tls-crypt-v2 client's reset (remember_reset it)
  uint32_t wrap_time = 0;         // Start: the replay time our replies use
  std::string client_key;         // Start, tls-crypt-v2: the client's key Kc
  std::vector<uint8_t> metadata;  // Start, tls-crypt-v2: its metadata
};

class OvpnStateless {
 public:
  // `secret`: random per start. `hand_window`: openvpn's (60 s): a cookie is good for about that.
  // `v2_server_key` (128 bytes, or empty): tls-crypt-v2, where each client's packets are
  // wrapped with its own key, carried (wrapped with this one) after its reset and first
  // control packet; `keys` is then unused. With `old_clients` a tls-crypt-v2 client that will
  // not send its key again (openvpn 2.5 and older) starts a worker from its reset, if the reset
  // is fresh (its wrap time within OldClientResets::kAge of now), its session id has started
  // nothing yet, and `old_clients` allows another start; without, such resets are dropped
  // (openvpn's --tls-crypt-v2-force-cookie).
  OvpnStateless(std::array<uint8_t, 32> secret, ovpn::WrapKeys keys, uint32_t hand_window = 60,
                std::string v2_server_key = {}, std::shared_ptr<OldClientResets> old_clients = {});

  // `peer`: the sender as "ip:port"; `now`: seconds (wall clock: the reply's replay time too).
  OvpnDecision on_datagram(std::span<const uint8_t> d, std::string_view peer, uint64_t now);

  uint64_t bad_hmac() const { return bad_hmac_; }
  uint64_t bad_cookie() const { return bad_cookie_; }
  // Main started a worker from an old client's reset (OvpnDecision::from_reset).
  void remember_reset(const ovpn::SessionId& sid, uint64_t now) {
    if (old_clients_) old_clients_->remember(sid, now);
  }
  // Old tls-crypt-v2 clients' resets dropped: refused by configuration, stale, over the rate
  // or the memory of ids; and replays of resets that started a worker.
  uint64_t old_v2_refused() const { return old_v2_refused_; }
  uint64_t old_v2_replayed() const { return old_v2_replayed_; }

 private:
  ovpn::SessionId cookie(uint64_t slot, std::string_view peer, const ovpn::SessionId& client) const;
  OvpnDecision decide(ovpn::ControlWrap& wrap, std::span<const uint8_t> d, std::string_view peer,
                      uint64_t now, bool v2);
  OvpnDecision old_v2_client(std::span<const uint8_t> d, const ovpn::SessionId& sid, uint64_t now);

  std::array<uint8_t, 32> secret_;
  ovpn::ControlWrap wrap_;
  SecretBytes v2_key_;
  uint32_t slot_len_;
  std::shared_ptr<OldClientResets> old_clients_;
  uint64_t bad_hmac_ = 0, bad_cookie_ = 0, old_v2_refused_ = 0, old_v2_replayed_ = 0;
};

// OpenVPN over TCP with tls-crypt-v2: the client's first packet as main peeked it (a 2-byte
// length, then a HARD_RESET_CLIENT_V3 that carries the client's wrapped key). Its key Kc and
// metadata when the packet is whole, the key opens with `v2_server_key` and the packet's own
// wrap checks with Kc; else nullopt. Pure, like the UDP half.
struct OvpnTcpClientKey {
  std::string client_key;
  std::vector<uint8_t> metadata;
};
std::optional<OvpnTcpClientKey> tcp_v3_client_key(std::span<const uint8_t> peeked,
                                                  std::string_view v2_server_key);

}  // namespace sslvpn::mainproc::udp
