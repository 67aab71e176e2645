// OpenVPN's AEAD data channel (protocols.md C8, C10): keys from the 256 bytes of key material,
// DATA_V2 (with peer-id) and DATA_V1 packets, 32-bit packet ids from 1 with a 64-packet replay
// window, in-place encryption. Pure apart from GnuTLS's cipher handles.
#pragma once

#include <gnutls/crypto.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace sslvpn::ovpn {

enum class DataCipher : uint8_t { Aes128Gcm, Aes256Gcm, ChaCha20Poly1305 };

std::optional<DataCipher> parse_data_cipher(std::string_view name);  // "AES-256-GCM", any case
const char* data_cipher_name(DataCipher c);
// Checks a colon-separated list (openvpn-data-ciphers); the error names the first bad entry.
bool valid_data_ciphers(std::string_view list, std::string* bad);

inline constexpr size_t kKeyMaterial = 256;
inline constexpr size_t kTagSize = 16;
// op | peer-id(3) | packet id | tag: the room seal() needs before the packet.
inline constexpr size_t kDataV2Header = 1 + 3 + 4 + kTagSize;
inline constexpr size_t kDataV1Header = 1 + 4 + kTagSize;

// The 16-byte keepalive payload and the OCC prefix (protocols.md C10).
bool is_ping(std::span<const uint8_t> plain);
std::span<const uint8_t, 16> ping_payload();
// OCC EXIT (explicit-exit-notify over the data channel).
bool is_occ_exit(std::span<const uint8_t> plain);
bool is_occ(std::span<const uint8_t> plain);

// The compression framing of a client configured with comp-lzo or compress (its OCC options
// say ",comp-lzo"). sslvpnd never compresses: it pushes "compress stub-v2" (or "comp-lzo no"
// to clients without IV_COMP_STUBv2), as openvpn's compress migrate does, and then frames
// uncompressed packets as the client expects. A compressed packet is dropped.
enum class CompFraming : uint8_t { None, StubV2, LzoStub };
// The payload without its framing; nullopt: a compressed packet.
std::optional<std::span<uint8_t>> unframe(CompFraming f, std::span<uint8_t> p);
// The bytes to put before `p` (at most kMaxFrameBytes), written at the end of `prefix`; how many.
size_t frame_prefix(CompFraming f, std::span<const uint8_t> p, uint8_t* prefix_end);
inline constexpr size_t kMaxFrameBytes = 2;

struct AeadHandleDeleter {
  void operator()(gnutls_aead_cipher_hd_t h) const { gnutls_aead_cipher_deinit(h); }
};
using AeadHandle = std::unique_ptr<std::remove_pointer_t<gnutls_aead_cipher_hd_t>, AeadHandleDeleter>;

class DataChannel {
 public:
  // The server encrypts with key[1] and decrypts with key[0]; the implicit IV is the first 8
  // bytes of each direction's HMAC block. `v2`: send DATA_V2 with `peer_id`.
  static Result<DataChannel> create(DataCipher c, std::span<const uint8_t> key_material, uint8_t key_id,
                                    bool v2, uint32_t peer_id);

  size_t header_size() const { return v2_ ? kDataV2Header : kDataV1Header; }
  // Encrypts the packet at buf[header_size() .. header_size()+len) in place; the whole packet.
  Result<std::span<const uint8_t>> seal(std::span<uint8_t> buf, size_t len);
  // Decrypts a data packet in place; the plaintext (a view into `pkt`). Denied: it does not
  // authenticate; State: a replay; Malformed/Truncated: not a data packet of this key.
  Result<std::span<uint8_t>> open(std::span<uint8_t> pkt);
  uint8_t key_id() const { return key_id_; }
  DataCipher cipher() const { return cipher_; }
  uint64_t replays() const { return replays_; }
  uint32_t sent_packets() const { return send_id_ - 1; }

 private:
  DataChannel() = default;
  bool replay_ok(uint32_t id) const;
  void replay_mark(uint32_t id);

  DataCipher cipher_ = DataCipher::Aes256Gcm;
  AeadHandle enc_, dec_;
  uint8_t enc_iv_[8]{}, dec_iv_[8]{};
  uint8_t key_id_ = 0;
  bool v2_ = true;
  uint32_t peer_id_ = 0;
  uint32_t send_id_ = 1;
  uint32_t top_ = 0;
  uint64_t window_ = 0;
  uint64_t replays_ = 0;
};

}  // namespace sslvpn::ovpn
