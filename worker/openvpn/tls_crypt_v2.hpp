// tls-crypt-v2 (protocols.md C2): every client has its own tls-crypt key Kc, and carries it
// wrapped with the server's key (WKc) after its first packets, so the server keeps no list of
// client keys. Key files are openvpn's own PEM formats, so `openvpn --genkey tls-crypt-v2-*`
// output and ours (sslvpnd-tls-crypt-v2) are interchangeable. Pure.
//
//   WKc = T | AES-256-CTR(Ke, IV = T[0..16], Kc || metadata) | len (be16, of the whole WKc)
//   T   = HMAC-SHA256(Ka, len || Kc || metadata)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "common/secret_bytes.hpp"

namespace sslvpn::ovpn {

inline constexpr size_t kTlsCryptV2ServerKey = 128;  // Ke = bytes 0..32, Ka = bytes 64..96
inline constexpr size_t kTlsCryptV2ClientKey = 256;  // Kc: a tls-crypt key (key2 layout)
inline constexpr size_t kMaxWkc = 1024;              // openvpn's TLS_CRYPT_V2_MAX_WKC_LEN
inline constexpr size_t kMaxMetadata = kMaxWkc - 32 - kTlsCryptV2ClientKey - 2;
inline constexpr uint8_t kMetadataUser = 0;       // metadata type: free text
inline constexpr uint8_t kMetadataTimestamp = 1;  // metadata type: be64 creation time

// openvpn's PEM key files ("-----BEGIN <header>-----", base64): the bytes, or the text.
Result<std::string> pem_decode(const char* header, std::string_view pem);
std::string pem_encode(const char* header, std::string_view bytes);

// "-----BEGIN OpenVPN tls-crypt-v2 server key-----" and its 128 bytes.
Result<SecretBytes> parse_tls_crypt_v2_server_key(std::string_view pem);
std::string format_tls_crypt_v2_server_key(std::string_view key);
// "-----BEGIN OpenVPN tls-crypt-v2 client key-----": Kc then WKc.
std::string format_tls_crypt_v2_client_key(std::string_view kc, std::span<const uint8_t> wkc);
Result<std::pair<SecretBytes, std::vector<uint8_t>>> parse_tls_crypt_v2_client_key(std::string_view pem);

// Wraps Kc and its metadata (type byte first) with the server key.
Result<std::vector<uint8_t>> wrap_client_key(std::string_view server_key, std::string_view kc,
                                             std::span<const uint8_t> metadata);

struct ClientKey {
  SecretBytes kc;
  std::vector<uint8_t> metadata;  // type byte, then the data
};
// Unwraps a WKc. Denied: its tag does not verify (not made with this server key); Malformed or
// BadLength: not a WKc.
Result<ClientKey> unwrap_client_key(std::string_view server_key, std::span<const uint8_t> wkc);

// A packet with WKc appended (HARD_RESET_CLIENT_V3, CONTROL_WKC_V1): the packet and the WKc.
Result<std::pair<std::span<const uint8_t>, std::span<const uint8_t>>> split_wkc(std::span<const uint8_t> pkt);

// The early-negotiation TLV a stateless server puts in its reset: "send WKc again".
std::vector<uint8_t> early_negotiation_resend_wkc();

}  // namespace sslvpn::ovpn
