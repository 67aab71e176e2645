// Control-channel wrapping (protocols.md C2): none, tls-auth (an HMAC with key-direction) and
// tls-crypt (AES-256-CTR and HMAC-SHA256), with the replay ids they carry. Keys come in
// openvpn's own static-key file format, so `openvpn --genkey secret` output works as is.
// Pure: the state is the send counter and the receive window.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/secret_bytes.hpp"

namespace sslvpn::ovpn {

// openvpn's 2048-bit static key: key[0] = bytes 0-127, key[1] = 128-255; each key is
// cipher[64] then hmac[64].
inline constexpr size_t kStaticKeySize = 256;

// Parses "-----BEGIN OpenVPN Static key V1-----" ... hex ... "-----END ...". Comments and blank
// lines around it are allowed. Malformed: no such block, or not 256 bytes of hex.
Result<SecretBytes> parse_static_key(std::string_view text);

enum class WrapMode : uint8_t { None, Auth, Crypt };

// tls-auth's key-direction: Bidirectional (neither side sets one: both use key[0]), or the
// server's own direction (0: sends with key[0], receives with key[1]; 1: the reverse).
enum class KeyDirection : uint8_t { Bidirectional, Normal, Inverse };

// tls-auth's HMAC digest (openvpn's --auth; SHA1 by default).
enum class AuthDigest : uint8_t { Sha1, Sha224, Sha256, Sha384, Sha512 };
// "SHA1", "SHA256", "SHA512" (any case); nullopt for anything else.
std::optional<AuthDigest> auth_digest_from_name(std::string_view name);
size_t auth_tag_size(AuthDigest d);

struct WrapKeys {
  WrapMode mode = WrapMode::None;
  AuthDigest digest = AuthDigest::Sha1;  // tls-auth
  SecretBytes send_cipher, send_hmac;    // tls-crypt: 32-byte AES and HMAC keys
  SecretBytes recv_cipher, recv_hmac;    // tls-auth: HMAC keys of the digest's length
};

// The server's keys for tls-auth (HMAC-SHA1, openvpn's default `auth`) and tls-crypt (the
// server sends with key[0] and receives with key[1]; the directions are fixed).
WrapKeys tls_auth_keys(std::string_view static_key, KeyDirection dir, AuthDigest digest = AuthDigest::Sha1);
WrapKeys tls_crypt_keys(std::string_view static_key);

// The receive window of tls-auth/tls-crypt replay ids: (time, id) pairs, where time never
// goes back and ids within one time value may arrive up to 64 out of order.
class ReplayWindow {
 public:
  // True (and remembered) if (id, time) was not seen and is not too old.
  bool accept(uint32_t id, uint32_t time);
  // True if it would be accepted, without remembering it.
  bool fresh(uint32_t id, uint32_t time) const;

 private:
  uint32_t time_ = 0;
  uint32_t top_ = 0;
  uint64_t bits_ = 0;  // bit i: top_ - i was seen
};

// Bytes the wrap adds before the ACK block (after op and sid).
size_t wrap_overhead(WrapMode mode, AuthDigest digest = AuthDigest::Sha1);

class ControlWrap {
 public:
  ControlWrap() = default;
  explicit ControlWrap(WrapKeys keys, uint32_t time, uint32_t first_id = 1)
      : keys_(std::move(keys)), time_(time), next_id_(first_id) {}

  WrapMode mode() const { return keys_.mode; }
  // Wire bytes for an unwrapped control packet (wire.hpp's layout); each call takes a new
  // replay id, retransmissions included.
  std::vector<uint8_t> wrap(std::span<const uint8_t> plain) { return wrap_at(plain, next_id_++, time_); }
  // The same with a given replay id and time (main's stateless reset reply).
  std::vector<uint8_t> wrap_at(std::span<const uint8_t> plain, uint32_t id, uint32_t time) const;
  // The unwrapped packet if the HMAC (and, with `check_replay`, the replay window) accept it.
  // Denied: a bad HMAC; State: a replay; Truncated/Malformed: not a wrapped control packet.
  Result<std::vector<uint8_t>> unwrap(std::span<const uint8_t> wire, bool check_replay = true);
  // The replay id and time of a wrapped packet (after unwrap accepted it).
  static Result<std::pair<uint32_t, uint32_t>> replay_of(std::span<const uint8_t> wire, WrapMode mode,
                                                         AuthDigest digest = AuthDigest::Sha1);
  uint64_t replays() const { return replays_; }

 private:
  WrapKeys keys_;
  uint32_t time_ = 0;
  uint32_t next_id_ = 1;
  ReplayWindow window_;
  uint64_t replays_ = 0;
};

}  // namespace sslvpn::ovpn
