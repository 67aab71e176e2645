// Every OpenVPN control packet a worker reads goes through the unwrap (none, tls-auth,
// tls-crypt), the packet parser and, for its first message, the key-method-2 parser: none may
// misread, whatever the bytes. The first byte of the input picks the wrap.
#include <cstdint>
#include <string>

#include "worker/openvpn/challenge.hpp"
#include "worker/openvpn/key_method.hpp"
#include "worker/openvpn/wire.hpp"
#include "worker/openvpn/wrap.hpp"

using namespace sslvpn::ovpn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  if (n == 0) return 0;
  static const std::string key(256, '\x5a');
  uint8_t mode = d[0] % 3;
  std::span<const uint8_t> in(d + 1, n - 1);
  WrapKeys keys = mode == 1   ? tls_auth_keys(key, KeyDirection::Normal)
                  : mode == 2 ? tls_crypt_keys(key)
                              : WrapKeys{};
  ControlWrap wrap(std::move(keys), 1);
  auto plain = wrap.unwrap(in);
  if (plain.ok()) {
    auto p = parse_control(*plain);
    if (p.ok()) {
      if (p->acks.size() > kMaxAcks) __builtin_trap();
      // What it serializes back parses to the same packet.
      auto again = parse_control(serialize_control(*p));
      if (!again.ok() || again->payload != p->payload || again->acks != p->acks) __builtin_trap();
    }
  }
  // The payload as a key-method-2 message.
  auto km = parse_client_key_method(in);
  if (km.ok() && (km->username.size() > kMaxCredential || km->password.size() > kMaxCredential ||
                  km->peer_info.size() > kMaxPeerInfoEntries))
    __builtin_trap();
  // The payload as a password field (static and dynamic challenge answers) and a state id.
  std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  auto field = parse_password_field(text);
  if (field.kind == PasswordField::Kind::Dynamic && field.state_id.empty()) __builtin_trap();
  std::string ctx, name;
  if (split_state_id(text, &ctx, &name) && make_state_id(ctx, name).empty()) __builtin_trap();
  return 0;
}
