#include "worker/openvpn/auth_token.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/memops.h>

#include <array>

#include "worker/openvpn/tls_crypt_v2.hpp"  // pem_decode, pem_encode

namespace sslvpn::ovpn {
namespace {

constexpr char kPem[] = "OpenVPN auth-token server key";
constexpr uint8_t kVersion = 1;
constexpr size_t kMac = 32;
constexpr std::string_view kLabel = "sslvpnd login token";

// The signed part: version, issued, group length and group.
std::string body(uint64_t issued, std::string_view group) {
  std::string b(1, static_cast<char>(kVersion));
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<char>(issued >> (8 * i)));
  b.push_back(static_cast<char>(group.size()));
  b.append(group);
  return b;
}

std::optional<std::array<uint8_t, kMac>> mac(const SecretBytes& key, std::string_view b,
                                             std::string_view user) {
  std::array<uint8_t, kMac> out{};
  gnutls_hmac_hd_t h = nullptr;
  if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, key.view().data(), key.view().size()) < 0) return std::nullopt;
  bool ok = gnutls_hmac(h, kLabel.data(), kLabel.size()) == 0 && gnutls_hmac(h, b.data(), b.size()) == 0 &&
            gnutls_hmac(h, user.data(), user.size()) == 0;
  gnutls_hmac_deinit(h, out.data());
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

Result<SecretBytes> parse_auth_token_secret(std::string_view pem) {
  auto k = pem_decode(kPem, pem);
  if (!k.ok()) return k.error();
  if (k->size() != kAuthTokenKeyFile) {
    wipe_string(*k);
    return Errc::BadLength;
  }
  SecretBytes key(std::string_view(*k).substr(64, kMac));
  wipe_string(*k);
  return key;
}

std::string format_auth_token_secret(std::string_view key128) {
  return pem_encode(kPem, key128);
}

std::string make_login_token(const SecretBytes& key, std::string_view user, std::string_view group,
                             uint64_t issued) {
  if (group.size() > kMaxTokenGroup) group = {};
  std::string b = body(issued, group);
  auto m = mac(key, b, user);
  if (!m) return {};
  b.append(reinterpret_cast<const char*>(m->data()), m->size());
  gnutls_datum_t in{reinterpret_cast<unsigned char*>(b.data()), static_cast<unsigned>(b.size())};
  gnutls_datum_t out{nullptr, 0};
  if (gnutls_base64_encode2(&in, &out) < 0) return {};
  std::string t(reinterpret_cast<const char*>(out.data), out.size);
  gnutls_free(out.data);
  return t;
}

std::optional<TokenClaims> check_login_token(const SecretBytes& key, std::string_view token,
                                             std::string_view user) {
  if (token.empty() || token.size() > kMaxLoginToken) return std::nullopt;
  gnutls_datum_t in{reinterpret_cast<unsigned char*>(const_cast<char*>(token.data())),
                    static_cast<unsigned>(token.size())};
  gnutls_datum_t out{nullptr, 0};
  if (gnutls_base64_decode2(&in, &out) < 0) return std::nullopt;
  std::string raw(reinterpret_cast<const char*>(out.data), out.size);
  gnutls_free(out.data);
  // version, issued, group length, group, MAC
  if (raw.size() < 1 + 8 + 1 + kMac || static_cast<uint8_t>(raw[0]) != kVersion) return std::nullopt;
  size_t glen = static_cast<uint8_t>(raw[9]);
  if (glen > kMaxTokenGroup || raw.size() != 10 + glen + kMac) return std::nullopt;
  std::string_view b(raw.data(), 10 + glen);
  auto m = mac(key, b, user);
  if (!m || memeql_sec(m->data(), raw.data() + 10 + glen, kMac) == 0) return std::nullopt;
  TokenClaims c;
  for (int i = 1; i <= 8; ++i) c.issued = c.issued << 8 | static_cast<uint8_t>(raw[static_cast<size_t>(i)]);
  c.group = raw.substr(10, glen);
  return c;
}

}  // namespace sslvpn::ovpn
