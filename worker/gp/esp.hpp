// GlobalProtect's ESP (RFC 4303 in UDP, tunnel mode) as pure functions of bytes and keys: one
// SecurityAssociation per direction, AES-CBC with HMAC-SHA1/MD5/SHA256 from GnuTLS.
//
//   SPI(4) | seq(4, big-endian) | IV(16) | AES-CBC(payload | pad 1,2,3.. | pad length | next header) | ICV
//
// The ICV is the HMAC over SPI..ciphertext, truncated to 12 bytes (SHA1, MD5) or 16 (SHA256).
// Inbound packets are authenticated before anything else is looked at, then checked against a
// 64-packet replay window (the client's first sequence number is 0), then decrypted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/gnutls_handles.hpp"
#include "common/result.hpp"
#include "common/secret_bytes.hpp"

namespace sslvpn::gp {

enum class EspCipher : uint8_t { Aes128Cbc, Aes256Cbc };
enum class EspMac : uint8_t { Sha1, Md5, Sha256 };

// Names as getconfig spells them ("aes-128-cbc", "sha1"); nullopt-like false when unknown.
bool parse_esp_cipher(std::string_view name, EspCipher* out);
bool parse_esp_mac(std::string_view name, EspMac* out);
const char* esp_cipher_name(EspCipher c);
const char* esp_mac_name(EspMac m);
size_t esp_key_bytes(EspCipher c);   // 16 or 32
size_t esp_mac_key_bytes(EspMac m);  // the digest length: 20, 16, 32
size_t esp_icv_bytes(EspMac m);      // 12, 12, 16

// The choice from the client's getconfig lists ("aes-128-cbc,aes-256-cbc", "sha1,md5,sha256"):
// AES-128-CBC and HMAC-SHA1 when offered (PAN's default, and the fastest), else the other AES,
// else SHA-256, MD5 last. False when they share none.
bool choose_esp_algorithms(std::string_view enc_list, std::string_view mac_list, EspCipher* enc, EspMac* mac);

inline constexpr size_t kEspHeader = 8;                      // SPI + sequence number
inline constexpr size_t kEspIv = 16;                         // the AES block
inline constexpr size_t kEspHeadroom = kEspHeader + kEspIv;  // what goes before the payload
inline constexpr size_t kEspMaxTrailer = 16 + 2 + 16;        // padding, pad length, next header, longest ICV
inline constexpr uint8_t kNextIpv4 = 4;
inline constexpr uint8_t kNextIpv6 = 41;

struct EspKeyMaterial {
  uint32_t spi = 0;
  EspCipher cipher = EspCipher::Aes128Cbc;
  EspMac mac = EspMac::Sha1;
  SecretBytes enc_key;
  SecretBytes mac_key;
};

// Fresh random keys of the right sizes for this SPI and algorithms.
Result<EspKeyMaterial> random_esp_keys(uint32_t spi, EspCipher c, EspMac m);

class EspSa;

// A tunnel's two SAs from one getconfig: `in` opens what the client sends (c2s), `out` seals
// what we send (s2c); the key material is what getconfig tells the client, then wiped.
struct EspPair {
  std::unique_ptr<EspSa> in, out;
  EspKeyMaterial c2s, s2c;
};
// Fresh random keys for both directions, and their SAs.
Result<EspPair> new_esp_pair(uint32_t c2s_spi, uint32_t s2c_spi, EspCipher c, EspMac m);

class EspSa {
 public:
  static Result<std::unique_ptr<EspSa>> create(const EspKeyMaterial& k);
  EspSa(const EspSa&) = delete;
  EspSa& operator=(const EspSa&) = delete;

  uint32_t spi() const noexcept { return spi_; }
  size_t icv_bytes() const noexcept { return icv_; }
  // Bytes an IP packet of `len` bytes takes as an ESP datagram.
  size_t wire_size(size_t len) const noexcept;

  // Outbound: `packet` (an IPv4 or IPv6 packet) into `out` as one datagram; returns its size.
  // `out` must hold wire_size(packet.size()) bytes.
  Result<size_t> seal(std::span<const uint8_t> packet, uint8_t next_header, std::span<uint8_t> out);
  // The same for a packet of `len` bytes already at buf[kEspHeadroom..]: the data path frames
  // in place, copying nothing.
  Result<size_t> seal_in_place(std::span<uint8_t> buf, size_t len, uint8_t next_header);

  // Inbound: authenticates `datagram`, checks and records its sequence number, and decrypts the
  // payload into `out` (at least datagram.size() bytes). Returns the payload size and sets
  // `next_header`. Errors: Malformed (framing, SPI, padding), Denied (ICV), State (a replay:
  // seen, or older than the window). Nothing changes unless the ICV is right.
  Result<size_t> open(std::span<const uint8_t> datagram, std::span<uint8_t> out, uint8_t* next_header);

  // Whether `datagram`'s sequence number is above every one seen: a late packet from a path
  // the client has left is fresh for the window but must not move the tunnel back there.
  bool newest(std::span<const uint8_t> datagram) const noexcept;
  // The outbound sequence numbers are used up (2^32 packets): the SA must not send again.
  bool exhausted() const noexcept { return next_seq_ == UINT32_MAX; }

  uint64_t replays() const noexcept { return replays_; }

 private:
  EspSa() = default;
  bool check_icv(std::span<const uint8_t> datagram);
  bool replay_ok(uint32_t seq) const noexcept;
  void record(uint32_t seq) noexcept;

  uint32_t spi_ = 0;
  size_t icv_ = 12;
  CipherHandle cipher_;
  HmacHandle hmac_;
  uint32_t next_seq_ = 0;  // outbound: the next sequence number we send
  // Inbound replay window: `top_` is the highest sequence seen, bit i of `window_` is top_ - i.
  bool any_seen_ = false;
  uint32_t top_ = 0;
  uint64_t window_ = 0;
  uint64_t replays_ = 0;
};

// Decrypts one datagram with `sa` into `out`: the IP packet's size, or an error for anything
// that is not an authentic, fresh IPv4/IPv6 packet (LZO and other next headers are refused).
Result<size_t> esp_decapsulate(EspSa& sa, std::span<const uint8_t> datagram, std::span<uint8_t> out);

}  // namespace sslvpn::gp
