// The key-method-2 exchange (protocols.md C6): the client's first control message (its randoms,
// options string, username, password and peer-info) and the server's answer. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/secret_bytes.hpp"

namespace sslvpn::ovpn {

// openvpn's pkcs11 builds (Debian's) accept user names and passwords up to 4096 bytes.
inline constexpr size_t kMaxCredential = 4096;
inline constexpr size_t kMaxOptions = 4096;
inline constexpr size_t kMaxPeerInfo = 16384;
inline constexpr size_t kMaxPeerInfoEntries = 128;

struct ClientKeyMethod {
  ClientKeyMethod() = default;
  ClientKeyMethod(ClientKeyMethod&&) = default;
  ClientKeyMethod& operator=(ClientKeyMethod&&) = default;
  ~ClientKeyMethod() { secure_wipe(pre_master.data(), pre_master.size()); }

  std::array<uint8_t, 48> pre_master{};
  std::array<uint8_t, 32> random1{}, random2{};
  std::string options;
  std::string username;
  SecretBytes password;
  bool has_credentials = false;
  std::map<std::string, std::string> peer_info;  // IV_VER, IV_PROTO, IV_CIPHERS, UV_* ...

  // IV_PROTO's bits (0 when absent or not a number).
  uint32_t iv_proto() const;
  std::string peer(const std::string& key) const;
};

// IV_PROTO bits (protocols.md C6).
inline constexpr uint32_t kIvProtoDataV2 = 1u << 1;
inline constexpr uint32_t kIvProtoRequestPush = 1u << 2;
inline constexpr uint32_t kIvProtoTlsKeyExport = 1u << 3;
inline constexpr uint32_t kIvProtoAuthPending = 1u << 4;
inline constexpr uint32_t kIvProtoDns = 1u << 6;
inline constexpr uint32_t kIvProtoCcExit = 1u << 7;
inline constexpr uint32_t kIvProtoAuthFailTemp = 1u << 8;
inline constexpr uint32_t kIvProtoDnsV2 = 1u << 11;  // openvpn 2.7: the dns option, second form

// Parses the client's message; wipes nothing of `in` (the caller does). Malformed: not
// key-method 2 or a string without its NUL; Limit: a field over its limit.
Result<ClientKeyMethod> parse_client_key_method(std::span<const uint8_t> in);

// The server's message: zero | 2 | random1 | random2 | options | three empty strings.
std::string build_server_key_method(std::span<const uint8_t, 32> random1,
                                    std::span<const uint8_t, 32> random2, std::string_view options);

// Ours: fresh randoms (kept for the PRF key derivation, worker/openvpn/key_prf.hpp) and the
// message with a 2.6 server's options string (clients only warn on a mismatch).
struct ServerKeyMethod {
  ServerKeyMethod() = default;
  ServerKeyMethod(ServerKeyMethod&&) = default;
  ServerKeyMethod& operator=(ServerKeyMethod&&) = default;
  ~ServerKeyMethod() {
    secure_wipe(random1.data(), random1.size());
    secure_wipe(random2.data(), random2.size());
  }

  std::array<uint8_t, 32> random1{}, random2{};
  std::string message;
};
// nullopt if the random generator failed.
std::optional<ServerKeyMethod> make_server_key_method();

// NCP (protocols.md C7): the first of `server_ciphers` (colon-separated) the client offers, or
// "" if none.
std::string choose_cipher(std::string_view server_ciphers, const ClientKeyMethod& km);

}  // namespace sslvpn::ovpn
