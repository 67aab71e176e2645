// Login tokens that any server sharing a secret accepts (the role of openvpn's
// --auth-gen-token-secret): sec-mod issues one with each OpenVPN login, the worker pushes it
// beside the session's cookie in the client's auth-token, and a server that does not know the
// cookie (another node behind the same name, or this one after a restart) logs the user in with
// the token alone, without the password. The secret file is openvpn's own
// (`openvpn --genkey auth-token FILE`); the token format is ours. Pure.
//
//   token = base64( 0x01 | issued (be64) | len | group | HMAC-SHA256(K, "sslvpnd login token" |
//                   0x01 | issued | len | group | user) )
//   K     = bytes 64..96 of the key file's 128 (its HMAC half, as openvpn's)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/secret_bytes.hpp"

namespace sslvpn::ovpn {

inline constexpr size_t kAuthTokenKeyFile = 128;  // openvpn's struct key: cipher and HMAC halves
inline constexpr size_t kMaxTokenGroup = 64;      // longer group names are not carried
inline constexpr size_t kMaxLoginToken = 256;     // base64 text; longer is not ours

// "-----BEGIN OpenVPN auth-token server key-----": the HMAC key (32 bytes).
Result<SecretBytes> parse_auth_token_secret(std::string_view pem);
std::string format_auth_token_secret(std::string_view key128);

std::string make_login_token(const SecretBytes& key, std::string_view user, std::string_view group,
                             uint64_t issued);

struct TokenClaims {
  std::string group;
  uint64_t issued = 0;
};
// The claims of `token` if its MAC is right for `user` (no time check: the caller's).
std::optional<TokenClaims> check_login_token(const SecretBytes& key, std::string_view token,
                                             std::string_view user);

}  // namespace sslvpn::ovpn
