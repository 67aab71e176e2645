#include "worker/gp/esp.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <cstring>

#include "worker/tun/inet_csum.hpp"

namespace sslvpn::gp {
namespace {

using tun::load_be32;
using tun::store_be32;

gnutls_cipher_algorithm_t gnutls_cipher(EspCipher c) {
  return c == EspCipher::Aes256Cbc ? GNUTLS_CIPHER_AES_256_CBC : GNUTLS_CIPHER_AES_128_CBC;
}

gnutls_mac_algorithm_t gnutls_mac(EspMac m) {
  switch (m) {
    case EspMac::Md5:
      return GNUTLS_MAC_MD5;
    case EspMac::Sha256:
      return GNUTLS_MAC_SHA256;
    default:
      return GNUTLS_MAC_SHA1;
  }
}

bool list_has(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (list.substr(0, comma) == item) return true;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return false;
}

constexpr int kReplayWindow = 64;

}  // namespace

bool parse_esp_cipher(std::string_view name, EspCipher* out) {
  if (name == "aes-128-cbc" || name == "aes128")
    *out = EspCipher::Aes128Cbc;
  else if (name == "aes-256-cbc" || name == "aes256")
    *out = EspCipher::Aes256Cbc;
  else
    return false;
  return true;
}

bool parse_esp_mac(std::string_view name, EspMac* out) {
  if (name == "sha1")
    *out = EspMac::Sha1;
  else if (name == "md5")
    *out = EspMac::Md5;
  else if (name == "sha256")
    *out = EspMac::Sha256;
  else
    return false;
  return true;
}

const char* esp_cipher_name(EspCipher c) {
  return c == EspCipher::Aes256Cbc ? "aes-256-cbc" : "aes-128-cbc";
}

const char* esp_mac_name(EspMac m) {
  return m == EspMac::Md5 ? "md5" : m == EspMac::Sha256 ? "sha256" : "sha1";
}

size_t esp_key_bytes(EspCipher c) {
  return c == EspCipher::Aes256Cbc ? 32 : 16;
}

size_t esp_mac_key_bytes(EspMac m) {
  return m == EspMac::Md5 ? 16 : m == EspMac::Sha256 ? 32 : 20;
}

size_t esp_icv_bytes(EspMac m) {
  return m == EspMac::Sha256 ? 16 : 12;
}

bool choose_esp_algorithms(std::string_view enc_list, std::string_view mac_list, EspCipher* enc,
                           EspMac* mac) {
  // PAN's default first: AES-128-CBC with HMAC-SHA1, both sound, and the cheapest pair for the
  // server and the client (AES-CBC encryption is serial: AES-256's 14 rounds cost a third more
  // per byte than AES-128's 10, and HMAC-SHA1 is faster than SHA-256). MD5 only if nothing else
  // is offered. A client that names no list (older ones) gets what every version knows.
  if (enc_list.empty()) enc_list = "aes-128-cbc";
  if (mac_list.empty()) mac_list = "sha1";
  bool have_enc = false, have_mac = false;
  for (const char* e : {"aes-128-cbc", "aes-256-cbc"})
    if (!have_enc && list_has(enc_list, e)) have_enc = parse_esp_cipher(e, enc);
  for (const char* m : {"sha1", "sha256", "md5"})
    if (!have_mac && list_has(mac_list, m)) have_mac = parse_esp_mac(m, mac);
  return have_enc && have_mac;
}

Result<EspKeyMaterial> random_esp_keys(uint32_t spi, EspCipher c, EspMac m) {
  EspKeyMaterial k;
  k.spi = spi;
  k.cipher = c;
  k.mac = m;
  std::string enc(esp_key_bytes(c), '\0'), mac(esp_mac_key_bytes(m), '\0');
  if (gnutls_rnd(GNUTLS_RND_KEY, enc.data(), enc.size()) != 0 ||
      gnutls_rnd(GNUTLS_RND_KEY, mac.data(), mac.size()) != 0)
    return Errc::Crypto;
  k.enc_key = SecretBytes(enc);
  k.mac_key = SecretBytes(mac);
  wipe_string(enc);
  wipe_string(mac);
  return k;
}

Result<std::unique_ptr<EspSa>> EspSa::create(const EspKeyMaterial& k) {
  if (k.enc_key.size() != esp_key_bytes(k.cipher) || k.mac_key.size() != esp_mac_key_bytes(k.mac))
    return Errc::BadLength;
  std::unique_ptr<EspSa> sa(new EspSa());
  sa->spi_ = k.spi;
  sa->icv_ = esp_icv_bytes(k.mac);
  gnutls_datum_t key{reinterpret_cast<unsigned char*>(const_cast<char*>(k.enc_key.c_str())),
                     static_cast<unsigned>(k.enc_key.size())};
  uint8_t iv[kEspIv] = {};
  gnutls_datum_t ivd{iv, sizeof iv};
  gnutls_cipher_hd_t c = nullptr;
  if (gnutls_cipher_init(&c, gnutls_cipher(k.cipher), &key, &ivd) < 0) return Errc::Crypto;
  sa->cipher_.reset(c);
  gnutls_hmac_hd_t h = nullptr;
  if (gnutls_hmac_init(&h, gnutls_mac(k.mac), k.mac_key.c_str(), k.mac_key.size()) < 0) return Errc::Crypto;
  sa->hmac_.reset(h);
  return sa;
}

Result<EspPair> new_esp_pair(uint32_t c2s_spi, uint32_t s2c_spi, EspCipher c, EspMac m) {
  auto c2s = random_esp_keys(c2s_spi, c, m);
  auto s2c = random_esp_keys(s2c_spi, c, m);
  if (!c2s.ok() || !s2c.ok()) return Errc::Crypto;
  auto in = EspSa::create(*c2s);
  auto out = EspSa::create(*s2c);
  if (!in.ok() || !out.ok()) return Errc::Crypto;
  return EspPair{std::move(in).value(), std::move(out).value(), std::move(c2s).value(),
                 std::move(s2c).value()};
}

size_t EspSa::wire_size(size_t len) const noexcept {
  size_t body = (len + 2 + 15) / 16 * 16;  // payload, pad length and next header, padded to a block
  return kEspHeadroom + body + icv_;
}

Result<size_t> EspSa::seal(std::span<const uint8_t> packet, uint8_t next_header, std::span<uint8_t> out) {
  if (out.size() < wire_size(packet.size())) return Errc::Limit;
  std::memmove(out.data() + kEspHeadroom, packet.data(), packet.size());
  return seal_in_place(out, packet.size(), next_header);
}

Result<size_t> EspSa::seal_in_place(std::span<uint8_t> buf, size_t len, uint8_t next_header) {
  size_t total = wire_size(len);
  if (buf.size() < total || exhausted()) return Errc::Limit;
  size_t body = total - kEspHeadroom - icv_;
  uint8_t* p = buf.data();
  store_be32(p, spi_);
  store_be32(p + 4, next_seq_++);
  uint8_t* iv = p + kEspHeader;
  if (gnutls_rnd(GNUTLS_RND_NONCE, iv, kEspIv) != 0) return Errc::Crypto;
  // The plaintext: the packet (already here), padding 1, 2, 3, ..., its length, the next header.
  uint8_t* ct = p + kEspHeadroom;
  size_t pad = body - len - 2;
  for (size_t i = 0; i < pad; ++i) ct[len + i] = static_cast<uint8_t>(i + 1);
  ct[body - 2] = static_cast<uint8_t>(pad);
  ct[body - 1] = next_header;
  gnutls_cipher_hd_t c = cipher_.get();
  gnutls_cipher_set_iv(c, iv, kEspIv);
  if (gnutls_cipher_encrypt2(c, ct, body, ct, body) < 0) return Errc::Crypto;
  gnutls_hmac_hd_t h = hmac_.get();
  uint8_t digest[32];
  if (gnutls_hmac(h, p, kEspHeadroom + body) < 0) return Errc::Crypto;
  gnutls_hmac_output(h, digest);
  std::memcpy(ct + body, digest, icv_);
  return total;
}

bool EspSa::check_icv(std::span<const uint8_t> d) {
  size_t signed_len = d.size() - icv_;
  gnutls_hmac_hd_t h = hmac_.get();
  uint8_t digest[32];
  if (gnutls_hmac(h, d.data(), signed_len) < 0) return false;
  gnutls_hmac_output(h, digest);
  // Constant time: the comparison must not tell a forger how many bytes were right.
  uint8_t diff = 0;
  for (size_t i = 0; i < icv_; ++i) diff |= static_cast<uint8_t>(digest[i] ^ d[signed_len + i]);
  return diff == 0;
}

bool EspSa::replay_ok(uint32_t seq) const noexcept {
  if (!any_seen_ || seq > top_) return true;
  uint32_t behind = top_ - seq;
  if (behind >= kReplayWindow) return false;
  return !(window_ >> behind & 1);
}

void EspSa::record(uint32_t seq) noexcept {
  if (!any_seen_) {
    any_seen_ = true;
    top_ = seq;
    window_ = 1;
    return;
  }
  if (seq > top_) {
    uint32_t ahead = seq - top_;
    window_ = ahead >= kReplayWindow ? 1 : (window_ << ahead) | 1;
    top_ = seq;
    return;
  }
  window_ |= uint64_t{1} << (top_ - seq);
}

bool EspSa::newest(std::span<const uint8_t> d) const noexcept {
  return d.size() >= kEspHeader && (!any_seen_ || load_be32(d.data() + 4) > top_);
}

Result<size_t> EspSa::open(std::span<const uint8_t> d, std::span<uint8_t> out, uint8_t* next_header) {
  if (d.size() < kEspHeader + kEspIv + 16 + icv_) return Errc::Malformed;
  if (load_be32(d.data()) != spi_) return Errc::Malformed;
  size_t body = d.size() - kEspHeader - kEspIv - icv_;
  if (body % 16 != 0 || out.size() < body) return Errc::Malformed;
  if (!check_icv(d)) return Errc::Denied;
  uint32_t seq = load_be32(d.data() + 4);
  if (!replay_ok(seq)) {
    ++replays_;
    return Errc::State;
  }
  record(seq);
  gnutls_cipher_hd_t c = cipher_.get();
  gnutls_cipher_set_iv(c, const_cast<uint8_t*>(d.data() + kEspHeader), kEspIv);
  if (gnutls_cipher_decrypt2(c, d.data() + kEspHeader + kEspIv, body, out.data(), body) < 0)
    return Errc::Crypto;
  uint8_t pad = out[body - 2];
  if (static_cast<size_t>(pad) + 2 > body) return Errc::Malformed;
  for (size_t i = 0; i < pad; ++i)
    if (out[body - 2 - pad + i] != static_cast<uint8_t>(i + 1)) return Errc::Malformed;
  *next_header = out[body - 1];
  return body - 2 - pad;
}

Result<size_t> esp_decapsulate(EspSa& sa, std::span<const uint8_t> datagram, std::span<uint8_t> out) {
  uint8_t nh = 0;
  auto n = sa.open(datagram, out, &nh);
  if (!n.ok()) return n.error();
  if (nh != kNextIpv4 && nh != kNextIpv6) return Errc::UnknownType;
  if (*n == 0 || (out[0] >> 4) != (nh == kNextIpv4 ? 4 : 6)) return Errc::Malformed;
  return *n;
}

}  // namespace sslvpn::gp
