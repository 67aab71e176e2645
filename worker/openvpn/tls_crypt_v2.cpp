#include "worker/openvpn/tls_crypt_v2.hpp"

#include "worker/openvpn/aes_ctr.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <cstring>

namespace sslvpn::ovpn {
namespace {

constexpr char kServerPem[] = "OpenVPN tls-crypt-v2 server key";
constexpr char kClientPem[] = "OpenVPN tls-crypt-v2 client key";
constexpr size_t kTag = 32;

// T over len || Kc || metadata.
bool tag(std::string_view server_key, uint16_t len, const uint8_t* body, size_t n, uint8_t* out) {
  uint8_t l[2] = {static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
  gnutls_hmac_hd_t h = nullptr;
  if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, server_key.data() + 64, 32) < 0) return false;
  bool ok = gnutls_hmac(h, l, 2) == 0 && gnutls_hmac(h, body, n) == 0;
  gnutls_hmac_deinit(h, out);
  return ok;
}

}  // namespace

Result<std::string> pem_decode(const char* header, std::string_view pem) {
  gnutls_datum_t in{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                    static_cast<unsigned>(pem.size())};
  gnutls_datum_t out{nullptr, 0};
  if (gnutls_pem_base64_decode2(header, &in, &out) < 0) return Errc::Malformed;
  std::string s(reinterpret_cast<const char*>(out.data), out.size);
  secure_wipe(out.data, out.size);
  gnutls_free(out.data);
  return s;
}

std::string pem_encode(const char* header, std::string_view bytes) {
  gnutls_datum_t in{reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data())),
                    static_cast<unsigned>(bytes.size())};
  gnutls_datum_t out{nullptr, 0};
  if (gnutls_pem_base64_encode2(header, &in, &out) < 0) return {};
  std::string s(reinterpret_cast<const char*>(out.data), out.size);
  secure_wipe(out.data, out.size);
  gnutls_free(out.data);
  return s;
}

Result<SecretBytes> parse_tls_crypt_v2_server_key(std::string_view pem) {
  auto k = pem_decode(kServerPem, pem);
  if (!k.ok()) return k.error();
  if (k->size() != kTlsCryptV2ServerKey) {
    wipe_string(*k);
    return Errc::BadLength;
  }
  SecretBytes key(*k);
  wipe_string(*k);
  return key;
}

std::string format_tls_crypt_v2_server_key(std::string_view key) {
  return pem_encode(kServerPem, key);
}

std::string format_tls_crypt_v2_client_key(std::string_view kc, std::span<const uint8_t> wkc) {
  std::string both(kc);
  both.append(reinterpret_cast<const char*>(wkc.data()), wkc.size());
  std::string out = pem_encode(kClientPem, both);
  wipe_string(both);
  return out;
}

Result<std::pair<SecretBytes, std::vector<uint8_t>>> parse_tls_crypt_v2_client_key(std::string_view pem) {
  auto k = pem_decode(kClientPem, pem);
  if (!k.ok()) return k.error();
  if (k->size() <= kTlsCryptV2ClientKey + kTag + 2) {
    wipe_string(*k);
    return Errc::BadLength;
  }
  SecretBytes kc(std::string_view(*k).substr(0, kTlsCryptV2ClientKey));
  std::vector<uint8_t> wkc(k->begin() + kTlsCryptV2ClientKey, k->end());
  wipe_string(*k);
  return std::make_pair(std::move(kc), std::move(wkc));
}

Result<std::vector<uint8_t>> wrap_client_key(std::string_view server_key, std::string_view kc,
                                             std::span<const uint8_t> metadata) {
  if (server_key.size() != kTlsCryptV2ServerKey || kc.size() != kTlsCryptV2ClientKey) return Errc::BadLength;
  if (metadata.size() > kMaxMetadata) return Errc::Limit;
  std::vector<uint8_t> body(kc.begin(), kc.end());
  body.insert(body.end(), metadata.begin(), metadata.end());
  auto len = static_cast<uint16_t>(kTag + body.size() + 2);
  std::vector<uint8_t> out(len);
  if (!tag(server_key, len, body.data(), body.size(), out.data())) return Errc::Crypto;
  aes256_ctr(server_key.substr(0, 32), out.data(), body.data(), body.size(), out.data() + kTag);
  secure_wipe(body.data(), body.size());
  out[len - 2] = static_cast<uint8_t>(len >> 8);
  out[len - 1] = static_cast<uint8_t>(len);
  return out;
}

Result<ClientKey> unwrap_client_key(std::string_view server_key, std::span<const uint8_t> wkc) {
  if (server_key.size() != kTlsCryptV2ServerKey) return Errc::BadLength;
  if (wkc.size() < kTag + kTlsCryptV2ClientKey + 2 || wkc.size() > kMaxWkc) return Errc::BadLength;
  size_t len = size_t{wkc[wkc.size() - 2]} << 8 | wkc[wkc.size() - 1];
  if (len != wkc.size()) return Errc::Malformed;
  size_t n = wkc.size() - kTag - 2;
  std::vector<uint8_t> body(n);
  aes256_ctr(server_key.substr(0, 32), wkc.data(), wkc.data() + kTag, n, body.data());
  uint8_t want[kTag];
  bool ok = tag(server_key, static_cast<uint16_t>(len), body.data(), n, want) &&
            gnutls_memcmp(want, wkc.data(), kTag) == 0;
  if (!ok) {
    secure_wipe(body.data(), body.size());
    return Errc::Denied;
  }
  ClientKey k;
  k.kc = SecretBytes(std::string_view(reinterpret_cast<const char*>(body.data()), kTlsCryptV2ClientKey));
  k.metadata.assign(body.begin() + kTlsCryptV2ClientKey, body.end());
  secure_wipe(body.data(), body.size());
  return k;
}

Result<std::pair<std::span<const uint8_t>, std::span<const uint8_t>>> split_wkc(
    std::span<const uint8_t> pkt) {
  if (pkt.size() < 2) return Errc::Truncated;
  size_t len = size_t{pkt[pkt.size() - 2]} << 8 | pkt[pkt.size() - 1];
  if (len < kTag + kTlsCryptV2ClientKey + 2 || len > kMaxWkc || len >= pkt.size()) return Errc::Malformed;
  return std::make_pair(pkt.first(pkt.size() - len), pkt.last(len));
}

std::vector<uint8_t> early_negotiation_resend_wkc() {
  // TLV: type 0x0001 (EARLY_NEG_FLAGS), length 2, flags 0x0001 (RESEND_WKC).
  return {0x00, 0x01, 0x00, 0x02, 0x00, 0x01};
}

}  // namespace sslvpn::ovpn
