// Main answers every datagram on the OpenVPN UDP port before any state exists: the stateless
// handshake must never misread, and nothing but a reset may get a reply.
#include <cstdint>

#include "main/udp/openvpn_stateless.hpp"
#include "worker/openvpn/tls_crypt_v2.hpp"

using namespace sslvpn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  if (n == 0) return 0;
  std::array<uint8_t, 32> secret{};
  static const std::string key(256, '\x33');
  static const std::string v2_server(128, '\x44');
  // Bit 0: tls-crypt; bit 1: tls-crypt-v2 (the client's wrapped key is parsed and opened);
  // bit 2: old tls-crypt-v2 clients start from their reset (force-cookie off).
  // Bit 3: the same bytes as the first packet peeked on the OpenVPN TCP port (tls-crypt-v2):
  // a key only from a whole, non-empty HARD_RESET_CLIENT_V3 behind its length.
  if (d[0] & 8) {
    auto k = mainproc::udp::tcp_v3_client_key({d + 1, n - 1}, v2_server);
    if (k) {
      size_t len = n >= 3 ? size_t{d[1]} << 8 | d[2] : 0;
      if (len == 0 || len + 3 > n || ovpn::op_of(d[3]) != ovpn::Op::HardResetClientV3) __builtin_trap();
      if (k->client_key.size() != ovpn::kTlsCryptV2ClientKey) __builtin_trap();
    }
    return 0;
  }
  ovpn::WrapKeys keys = d[0] & 1 ? ovpn::tls_crypt_keys(key) : ovpn::WrapKeys{};
  auto old_clients = d[0] & 4 ? std::make_shared<mainproc::udp::OldClientResets>() : nullptr;
  mainproc::udp::OvpnStateless st(secret, std::move(keys), 60, d[0] & 2 ? v2_server : std::string(),
                                  old_clients);
  auto r = st.on_datagram({d + 1, n - 1}, "192.0.2.1|1194", 1000);
  using K = mainproc::udp::OvpnDecision::Kind;
  bool reset = n >= 2 && (ovpn::op_of(d[1]) == ovpn::Op::HardResetClientV2 ||
                          ovpn::op_of(d[1]) == ovpn::Op::HardResetClientV3);
  if (r.kind == K::Reply && !reset) __builtin_trap();
  if (r.kind == K::Start && (d[0] & 2) && r.client_key.size() != ovpn::kTlsCryptV2ClientKey) __builtin_trap();
  if (r.kind != K::Reply && !r.reply.empty()) __builtin_trap();
  // Only a v3 reset, with old clients allowed, starts from a reset; and once main started it,
  // never again.
  if (r.kind == K::Start && r.from_reset) {
    if (!(d[0] & 4) || ovpn::op_of(d[1]) != ovpn::Op::HardResetClientV3) __builtin_trap();
    st.remember_reset(r.client_sid, 1000);
    if (st.on_datagram({d + 1, n - 1}, "192.0.2.2|1194", 1000).kind == K::Start) __builtin_trap();
  }
  return 0;
}
