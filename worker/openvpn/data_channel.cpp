#include "worker/openvpn/data_channel.hpp"

#include <algorithm>
#include <cstring>

#include "common/secret_bytes.hpp"
#include "worker/openvpn/wire.hpp"

namespace sslvpn::ovpn {
namespace {

constexpr uint8_t kPing[16] = {0x2a, 0x18, 0x7b, 0xf3, 0x64, 0x1e, 0xb4, 0xcb,
                               0x07, 0xed, 0x2d, 0x0a, 0x98, 0x1f, 0xc7, 0x48};
constexpr uint8_t kOcc[16] = {0x28, 0x7f, 0x34, 0x6b, 0xd4, 0xef, 0x7a, 0x81,
                              0x2d, 0x56, 0xb8, 0xd3, 0xaf, 0xc5, 0x45, 0x9c};
constexpr uint8_t kOccExit = 6;

struct CipherInfo {
  DataCipher c;
  const char* name;
  gnutls_cipher_algorithm_t alg;
  size_t key;
};
constexpr CipherInfo kCiphers[] = {
    {DataCipher::Aes128Gcm, "AES-128-GCM", GNUTLS_CIPHER_AES_128_GCM, 16},
    {DataCipher::Aes256Gcm, "AES-256-GCM", GNUTLS_CIPHER_AES_256_GCM, 32},
    {DataCipher::ChaCha20Poly1305, "CHACHA20-POLY1305", GNUTLS_CIPHER_CHACHA20_POLY1305, 32},
};

const CipherInfo& info(DataCipher c) {
  for (const auto& i : kCiphers)
    if (i.c == c) return i;
  return kCiphers[1];
}

Result<AeadHandle> make(gnutls_cipher_algorithm_t alg, const uint8_t* key, size_t n) {
  gnutls_datum_t k{const_cast<uint8_t*>(key), static_cast<unsigned>(n)};
  gnutls_aead_cipher_hd_t h = nullptr;
  if (gnutls_aead_cipher_init(&h, alg, &k) < 0) return Errc::Crypto;
  return AeadHandle(h);
}

uint32_t load32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void store32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

std::optional<DataCipher> parse_data_cipher(std::string_view name) {
  for (const auto& i : kCiphers) {
    std::string_view n = i.name;
    if (n.size() != name.size()) continue;
    bool same = true;
    for (size_t k = 0; k < n.size() && same; ++k)
      same = n[k] == std::toupper(static_cast<unsigned char>(name[k]));
    if (same) return i.c;
  }
  return std::nullopt;
}

const char* data_cipher_name(DataCipher c) {
  return info(c).name;
}

bool valid_data_ciphers(std::string_view list, std::string* bad) {
  if (list.empty()) {
    *bad = "(empty)";
    return false;
  }
  while (!list.empty()) {
    auto c = list.find(':');
    std::string_view e = list.substr(0, c);
    if (!parse_data_cipher(e)) {
      *bad = std::string(e);
      return false;
    }
    list = c == std::string_view::npos ? std::string_view{} : list.substr(c + 1);
  }
  return true;
}

bool is_ping(std::span<const uint8_t> p) {
  return p.size() == sizeof kPing && std::memcmp(p.data(), kPing, sizeof kPing) == 0;
}

std::span<const uint8_t, 16> ping_payload() {
  return std::span<const uint8_t, 16>(kPing, 16);
}

bool is_occ(std::span<const uint8_t> p) {
  return p.size() > sizeof kOcc && std::memcmp(p.data(), kOcc, sizeof kOcc) == 0;
}

bool is_occ_exit(std::span<const uint8_t> p) {
  return is_occ(p) && p[sizeof kOcc] == kOccExit;
}

std::optional<std::span<uint8_t>> unframe(CompFraming f, std::span<uint8_t> p) {
  constexpr uint8_t kV2Indicator = 0x50, kV2Uncompressed = 0x00, kLzoNone = 0xfa;
  if (f == CompFraming::StubV2 && !p.empty() && p[0] == kV2Indicator) {
    if (p.size() < 2 || p[1] != kV2Uncompressed) return std::nullopt;
    return p.subspan(2);
  }
  if (f == CompFraming::LzoStub) {
    if (p.empty() || p[0] != kLzoNone) return std::nullopt;
    return p.subspan(1);
  }
  return p;
}

size_t frame_prefix(CompFraming f, std::span<const uint8_t> p, uint8_t* prefix_end) {
  if (f == CompFraming::LzoStub) {
    prefix_end[-1] = 0xfa;
    return 1;
  }
  if (f == CompFraming::StubV2 && !p.empty() && p[0] == 0x50) {  // never an IP packet
    prefix_end[-2] = 0x50;
    prefix_end[-1] = 0x00;
    return 2;
  }
  return 0;
}

Result<DataChannel> DataChannel::create(DataCipher c, std::span<const uint8_t> km, uint8_t key_id, bool v2,
                                        uint32_t peer_id) {
  if (km.size() != kKeyMaterial) return Errc::BadLength;
  const CipherInfo& ci = info(c);
  DataChannel d;
  d.cipher_ = c;
  d.key_id_ = key_id;
  d.v2_ = v2;
  d.peer_id_ = peer_id & 0xffffff;
  // key[0] = client to server (cipher 0..63, hmac 64..127); key[1] = server to client.
  auto dec = make(ci.alg, km.data(), ci.key);
  auto enc = make(ci.alg, km.data() + 128, ci.key);
  if (!dec.ok() || !enc.ok()) return Errc::Crypto;
  d.dec_ = std::move(*dec);
  d.enc_ = std::move(*enc);
  std::memcpy(d.dec_iv_, km.data() + 64, 8);
  std::memcpy(d.enc_iv_, km.data() + 192, 8);
  return d;
}

Result<std::span<const uint8_t>> DataChannel::seal(std::span<uint8_t> buf, size_t len) {
  size_t h = header_size();
  if (buf.size() < h + len) return Errc::BadLength;
  if (send_id_ == 0) return Errc::Limit;  // 2^32 packets: the key is spent
  uint8_t* p = buf.data();
  uint32_t id = send_id_++;
  size_t ad_len;
  if (v2_) {
    p[0] = op_byte(Op::DataV2, key_id_);
    p[1] = static_cast<uint8_t>(peer_id_ >> 16);
    p[2] = static_cast<uint8_t>(peer_id_ >> 8);
    p[3] = static_cast<uint8_t>(peer_id_);
    store32(p + 4, id);
    ad_len = 8;
  } else {
    p[0] = op_byte(Op::DataV1, key_id_);
    store32(p + 1, id);
    ad_len = 4;
  }
  uint8_t nonce[12];
  store32(nonce, id);
  std::memcpy(nonce + 4, enc_iv_, 8);
  giovec_t ad{v2_ ? p : p + 1, ad_len};
  giovec_t data{p + h, len};
  size_t tag_len = kTagSize;
  if (gnutls_aead_cipher_encryptv2(enc_.get(), nonce, sizeof nonce, &ad, 1, &data, 1, p + h - kTagSize,
                                   &tag_len) < 0)
    return Errc::Crypto;
  return std::span<const uint8_t>(p, h + len);
}

bool DataChannel::replay_ok(uint32_t id) const {
  if (id == 0) return false;
  if (id > top_) return true;
  uint32_t back = top_ - id;
  return back < 64 && !(window_ >> back & 1);
}

void DataChannel::replay_mark(uint32_t id) {
  if (id > top_) {
    uint32_t shift = id - top_;
    window_ = shift >= 64 ? 1 : (window_ << shift | 1);
    top_ = id;
  } else {
    window_ |= uint64_t{1} << (top_ - id);
  }
}

Result<std::span<uint8_t>> DataChannel::open(std::span<uint8_t> pkt) {
  if (pkt.empty() || !is_data(pkt[0])) return Errc::Malformed;
  if (key_id_of(pkt[0]) != key_id_) return Errc::State;
  bool v2 = op_of(pkt[0]) == Op::DataV2;
  size_t h = v2 ? kDataV2Header : kDataV1Header;
  if (pkt.size() < h) return Errc::Truncated;
  uint8_t* p = pkt.data();
  const uint8_t* idp = v2 ? p + 4 : p + 1;
  uint32_t id = load32(idp);
  if (!replay_ok(id)) {
    ++replays_;
    return Errc::State;
  }
  uint8_t nonce[12];
  std::memcpy(nonce, idp, 4);
  std::memcpy(nonce + 4, dec_iv_, 8);
  giovec_t ad{v2 ? p : p + 1, v2 ? size_t{8} : size_t{4}};
  giovec_t data{p + h, pkt.size() - h};
  if (gnutls_aead_cipher_decryptv2(dec_.get(), nonce, sizeof nonce, &ad, 1, &data, 1, p + h - kTagSize,
                                   kTagSize) < 0)
    return Errc::Denied;
  replay_mark(id);
  return pkt.subspan(h);
}

}  // namespace sslvpn::ovpn
