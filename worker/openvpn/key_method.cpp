#include "worker/openvpn/key_method.hpp"

#include <gnutls/crypto.h>

#include <charconv>

#include "common/byte_reader.hpp"

namespace sslvpn::ovpn {
namespace {

// u16 length (NUL included) | bytes | NUL; a length of 0 is the empty string.
Result<std::string> read_string(ByteReader& r, size_t max) {
  auto len = r.be16();
  if (!len) return Errc::Truncated;
  if (*len == 0) return std::string();
  if (*len - 1u > max) return Errc::Limit;
  auto b = r.take(*len);
  if (!b) return Errc::Truncated;
  if (b->back() != 0) return Errc::Malformed;
  std::string s(reinterpret_cast<const char*>(b->data()), b->size() - 1);
  // The string ends at the first NUL, as in C.
  if (auto nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
  return s;
}

void put_string(std::string& out, std::string_view s) {
  if (s.empty()) {
    out.append(2, '\0');
    return;
  }
  size_t n = s.size() + 1;
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.append(s);
  out.push_back('\0');
}

bool list_has(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    auto c = list.find(':');
    std::string_view e = list.substr(0, c);
    if (e.size() == item.size()) {
      bool same = true;
      for (size_t i = 0; i < e.size() && same; ++i)
        same = std::toupper(static_cast<unsigned char>(e[i])) ==
               std::toupper(static_cast<unsigned char>(item[i]));
      if (same) return true;
    }
    list = c == std::string_view::npos ? std::string_view{} : list.substr(c + 1);
  }
  return false;
}

}  // namespace

uint32_t ClientKeyMethod::iv_proto() const {
  std::string v = peer("IV_PROTO");
  uint32_t x = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  return r.ec == std::errc() ? x : 0;
}

std::string ClientKeyMethod::peer(const std::string& key) const {
  auto it = peer_info.find(key);
  return it == peer_info.end() ? std::string() : it->second;
}

Result<ClientKeyMethod> parse_client_key_method(std::span<const uint8_t> in) {
  ByteReader r(in);
  auto zero = r.be32();
  auto method = r.u8();
  if (!zero || !method) return Errc::Truncated;
  if (*zero != 0 || (*method & 0x0f) != 2) return Errc::Malformed;
  ClientKeyMethod km;
  auto pm = r.take(48);
  auto r1 = r.take(32);
  auto r2 = r.take(32);
  if (!pm || !r1 || !r2) return Errc::Truncated;
  std::copy(pm->begin(), pm->end(), km.pre_master.begin());
  std::copy(r1->begin(), r1->end(), km.random1.begin());
  std::copy(r2->begin(), r2->end(), km.random2.begin());
  auto opts = read_string(r, kMaxOptions);
  if (!opts.ok()) return opts.error();
  km.options = std::move(*opts);
  if (r.empty()) return km;  // no credentials, no peer-info (old clients)
  auto user = read_string(r, kMaxCredential);
  if (!user.ok()) return user.error();
  auto pass = read_string(r, kMaxCredential);
  if (!pass.ok()) return pass.error();
  km.has_credentials = !user->empty() || !pass->empty();
  km.username = std::move(*user);
  km.password = SecretBytes(*pass);
  wipe_string(*pass);
  if (r.empty()) return km;
  auto info = read_string(r, kMaxPeerInfo);
  if (!info.ok()) return info.error();
  std::string_view rest = *info;
  while (!rest.empty() && km.peer_info.size() < kMaxPeerInfoEntries) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    km.peer_info.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return km;
}

std::string build_server_key_method(std::span<const uint8_t, 32> random1,
                                    std::span<const uint8_t, 32> random2, std::string_view options) {
  std::string out(4, '\0');
  out.push_back(2);
  out.append(reinterpret_cast<const char*>(random1.data()), 32);
  out.append(reinterpret_cast<const char*>(random2.data()), 32);
  put_string(out, options);
  for (int i = 0; i < 3; ++i) put_string(out, {});
  return out;
}

std::optional<ServerKeyMethod> make_server_key_method() {
  static constexpr char kOptions[] =
      "V4,dev-type tun,link-mtu 1559,tun-mtu 1500,proto UDPv4,cipher AES-256-GCM,auth [null-digest],keysize "
      "256,"
      "key-method 2,tls-server";
  ServerKeyMethod m;
  // Key material for PRF-derived keys (with the client's pre-master secret): the strong pool.
  if (gnutls_rnd(GNUTLS_RND_RANDOM, m.random1.data(), m.random1.size()) != 0 ||
      gnutls_rnd(GNUTLS_RND_RANDOM, m.random2.data(), m.random2.size()) != 0)
    return std::nullopt;
  m.message = build_server_key_method(m.random1, m.random2, kOptions);
  return m;
}

std::string choose_cipher(std::string_view server_ciphers, const ClientKeyMethod& km) {
  std::string offered = km.peer("IV_CIPHERS");
  if (offered.empty() && km.peer("IV_NCP") == "2") offered = "AES-256-GCM:AES-128-GCM";
  while (!server_ciphers.empty()) {
    auto c = server_ciphers.find(':');
    std::string_view name = server_ciphers.substr(0, c);
    if (!name.empty() && list_has(offered, name)) return std::string(name);
    server_ciphers = c == std::string_view::npos ? std::string_view{} : server_ciphers.substr(c + 1);
  }
  return {};
}

}  // namespace sslvpn::ovpn
