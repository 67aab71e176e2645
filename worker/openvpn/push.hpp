// The PUSH_REPLY (protocols.md C9): the tunnel's addresses, routes, DNS, keepalive and the
// negotiated data-channel settings in openvpn's option syntax, cut into messages of at most
// kMaxPushMessage bytes with push-continuation. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ipc.pb.h"

namespace sslvpn::ovpn {

inline constexpr size_t kMaxPushMessage = 1024;

struct PushSettings {
  std::string cipher;            // the negotiated data cipher
  uint32_t iv_proto = 0;         // the client's IV_PROTO bits
  bool client_sent_mtu = false;  // IV_MTU: tun-mtu may be pushed
  uint32_t peer_id = 0;
  uint32_t ping = 10;
  uint32_t ping_restart = 60;
  uint32_t rcvbuf = 0;  // the client's socket receive buffer to ask for (0: not pushed)
};

// The options, one per entry, in the order a 2.6 server sends them.
std::vector<std::string> push_options(const ipc::TunnelParams& p, const PushSettings& s);
// "PUSH_REPLY,opt,opt..." messages (without the NUL the sender adds).
std::vector<std::string> push_reply_messages(const std::vector<std::string>& options);

}  // namespace sslvpn::ovpn
