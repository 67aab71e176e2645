// openvpn's data-channel key derivation before TLS key export (protocols.md C6): the clients of
// openvpn 2.5 and older, and OpenVPN Connect before 3.7, announce no IV_PROTO_TLS_KEY_EXPORT and
// derive the keys from the key-method-2 randoms with the TLS 1.0 PRF. Pure.
#pragma once

#include <cstdint>
#include <span>

#include "common/result.hpp"
#include "common/secret_bytes.hpp"
#include "worker/openvpn/wire.hpp"

namespace sslvpn::ovpn {

// TLS 1.0's PRF (RFC 2246 section 5): P_MD5 over the secret's first half XOR P_SHA1 over its
// second half (an odd-length secret's middle byte is in both), of `seed` (openvpn puts the
// label in it). Fills `out`.
void tls1_prf(std::span<const uint8_t> secret, std::span<const uint8_t> seed, std::span<uint8_t> out);

// The randoms one side sends in its key-method-2 message.
struct KeySource {
  std::span<const uint8_t, 32> random1, random2;
};

// openvpn's key expansion (ssl.c's generate_key_expansion before 2.6's tls-ekm):
//   master = PRF(pre_master, "OpenVPN master secret" | client.random1 | server.random1)
//   keys   = PRF(master, "OpenVPN key expansion" | client.random2 | server.random2 |
//                client session id | server session id)
// 256 bytes, laid out as the exporter's output is (kKeyMaterial).
SecretBytes prf_key_material(std::span<const uint8_t, 48> pre_master, const KeySource& client,
                             const KeySource& server, const SessionId& client_sid,
                             const SessionId& server_sid);

}  // namespace sslvpn::ovpn
