#include "worker/openvpn/wrap.hpp"

#include <gnutls/crypto.h>
#include <cctype>

#include <algorithm>
#include <cstring>

#include "common/byte_reader.hpp"
#include "common/hex.hpp"
#include "worker/openvpn/aes_ctr.hpp"
#include "worker/openvpn/tls_crypt_v2.hpp"
#include "worker/openvpn/wire.hpp"

namespace sslvpn::ovpn {
namespace {

constexpr std::string_view kBegin = "-----BEGIN OpenVPN Static key V1-----";
constexpr std::string_view kEnd = "-----END OpenVPN Static key V1-----";
constexpr size_t kSha1 = 20, kSha256 = 32, kReplay = 8, kMaxTag = 64;

gnutls_mac_algorithm_t mac_of(AuthDigest d) {
  switch (d) {
    case AuthDigest::Sha1:
      return GNUTLS_MAC_SHA1;
    case AuthDigest::Sha224:
      return GNUTLS_MAC_SHA224;
    case AuthDigest::Sha256:
      return GNUTLS_MAC_SHA256;
    case AuthDigest::Sha384:
      return GNUTLS_MAC_SHA384;
    case AuthDigest::Sha512:
      break;
  }
  return GNUTLS_MAC_SHA512;
}

std::string_view key_part(std::string_view key, int index, bool hmac) {
  return key.substr(static_cast<size_t>(index) * 128 + (hmac ? 64 : 0), 64);
}

bool hmac(gnutls_mac_algorithm_t alg, std::string_view key, std::span<const uint8_t> a,
          std::span<const uint8_t> b, uint8_t* out) {
  gnutls_hmac_hd_t h = nullptr;
  if (gnutls_hmac_init(&h, alg, key.data(), key.size()) < 0) return false;
  bool ok = gnutls_hmac(h, a.data(), a.size()) == 0 && gnutls_hmac(h, b.data(), b.size()) == 0;
  gnutls_hmac_deinit(h, out);
  return ok;
}

bool equal_ct(const uint8_t* a, const uint8_t* b, size_t n) {
  return gnutls_memcmp(a, b, n) == 0;
}

}  // namespace

Result<SecretBytes> parse_static_key(std::string_view text) {
  auto b = text.find(kBegin);
  auto e = text.find(kEnd);
  if (b == std::string_view::npos || e == std::string_view::npos || e < b) return Errc::Malformed;
  std::string hex;
  for (char c : text.substr(b + kBegin.size(), e - b - kBegin.size()))
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') hex.push_back(c);
  auto bytes = hex_decode(hex);
  wipe_string(hex);
  if (!bytes || bytes->size() != kStaticKeySize) {
    if (bytes) wipe_string(*bytes);
    return Errc::Malformed;
  }
  SecretBytes key(*bytes);
  wipe_string(*bytes);
  return key;
}

std::optional<AuthDigest> auth_digest_from_name(std::string_view name) {
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (n == "SHA1") return AuthDigest::Sha1;
  if (n == "SHA224") return AuthDigest::Sha224;
  if (n == "SHA256") return AuthDigest::Sha256;
  if (n == "SHA384") return AuthDigest::Sha384;
  if (n == "SHA512") return AuthDigest::Sha512;
  return std::nullopt;
}

size_t auth_tag_size(AuthDigest d) {
  switch (d) {
    case AuthDigest::Sha1:
      return kSha1;
    case AuthDigest::Sha224:
      return 28;
    case AuthDigest::Sha256:
      return kSha256;
    case AuthDigest::Sha384:
      return 48;
    case AuthDigest::Sha512:
      break;
  }
  return 64;
}

WrapKeys tls_auth_keys(std::string_view k, KeyDirection dir, AuthDigest digest) {
  WrapKeys w;
  w.mode = WrapMode::Auth;
  w.digest = digest;
  int send = dir == KeyDirection::Inverse ? 1 : 0;
  int recv = dir == KeyDirection::Bidirectional ? 0 : 1 - send;
  // openvpn keys the HMAC with the first digest-size bytes of the key's 64-byte HMAC half.
  w.send_hmac = SecretBytes(key_part(k, send, true).substr(0, auth_tag_size(digest)));
  w.recv_hmac = SecretBytes(key_part(k, recv, true).substr(0, auth_tag_size(digest)));
  return w;
}

WrapKeys tls_crypt_keys(std::string_view k) {
  WrapKeys w;
  w.mode = WrapMode::Crypt;
  w.send_cipher = SecretBytes(key_part(k, 0, false).substr(0, 32));
  w.send_hmac = SecretBytes(key_part(k, 0, true).substr(0, kSha256));
  w.recv_cipher = SecretBytes(key_part(k, 1, false).substr(0, 32));
  w.recv_hmac = SecretBytes(key_part(k, 1, true).substr(0, kSha256));
  return w;
}

bool ReplayWindow::fresh(uint32_t id, uint32_t time) const {
  if (id == 0 || time < time_) return false;
  if (time > time_ || id > top_) return true;
  uint32_t back = top_ - id;
  return back < 64 && !(bits_ >> back & 1);
}

bool ReplayWindow::accept(uint32_t id, uint32_t time) {
  if (!fresh(id, time)) return false;
  if (time > time_) {
    time_ = time;
    top_ = id;
    bits_ = 1;
  } else if (id > top_) {
    uint32_t shift = id - top_;
    bits_ = shift >= 64 ? 1 : (bits_ << shift | 1);
    top_ = id;
  } else {
    bits_ |= uint64_t{1} << (top_ - id);
  }
  return true;
}

size_t wrap_overhead(WrapMode mode, AuthDigest digest) {
  switch (mode) {
    case WrapMode::Auth:
      return auth_tag_size(digest) + kReplay;
    case WrapMode::Crypt:
      return kReplay + kSha256;
    default:
      return 0;
  }
}

std::vector<uint8_t> ControlWrap::wrap_at(std::span<const uint8_t> plain, uint32_t id, uint32_t time) const {
  if (keys_.mode == WrapMode::None || plain.size() < 9) return {plain.begin(), plain.end()};
  std::vector<uint8_t> rp;
  put_be32(rp, id);
  put_be32(rp, time);
  auto head = plain.first(9);  // op | sid
  auto rest = plain.subspan(9);
  std::vector<uint8_t> out(head.begin(), head.end());
  if (keys_.mode == WrapMode::Auth) {
    std::vector<uint8_t> msg(rp);
    msg.insert(msg.end(), head.begin(), head.end());
    uint8_t tag[kMaxTag];
    (void)hmac(mac_of(keys_.digest), keys_.send_hmac.view(), msg, rest, tag);
    out.insert(out.end(), tag, tag + auth_tag_size(keys_.digest));
    out.insert(out.end(), rp.begin(), rp.end());
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
  }
  out.insert(out.end(), rp.begin(), rp.end());
  uint8_t tag[kSha256];
  (void)hmac(GNUTLS_MAC_SHA256, keys_.send_hmac.view(), out, rest, tag);
  out.insert(out.end(), tag, tag + kSha256);
  size_t at = out.size();
  out.resize(at + rest.size());
  aes256_ctr(keys_.send_cipher.view(), tag, rest.data(), rest.size(), out.data() + at);
  return out;
}

Result<std::pair<uint32_t, uint32_t>> ControlWrap::replay_of(std::span<const uint8_t> wire, WrapMode mode,
                                                             AuthDigest digest) {
  size_t at = 9 + (mode == WrapMode::Auth ? auth_tag_size(digest) : 0);
  if (mode == WrapMode::None || wire.size() < at + kReplay) return Errc::Truncated;
  ByteReader r(wire.subspan(at));
  uint32_t id = *r.be32();  // two statements: the order of a call's arguments is unspecified
  uint32_t time = *r.be32();
  return std::make_pair(id, time);
}

Result<std::vector<uint8_t>> ControlWrap::unwrap(std::span<const uint8_t> wire, bool check_replay) {
  if (wire.empty() || !is_control(wire[0])) return Errc::Malformed;
  if (keys_.mode == WrapMode::Crypt &&
      (op_of(wire[0]) == Op::HardResetClientV3 || op_of(wire[0]) == Op::ControlWkcV1)) {
    // tls-crypt-v2: the client's key, wrapped, follows the packet (whoever checks it has the
    // server key; here the packet's own tag under the client key is what counts).
    auto parts = split_wkc(wire);
    if (!parts.ok()) return parts.error();
    wire = parts->first;
  }
  if (keys_.mode == WrapMode::None) return std::vector<uint8_t>(wire.begin(), wire.end());
  size_t need = 9 + wrap_overhead(keys_.mode, keys_.digest);
  if (wire.size() < need) return Errc::Truncated;
  auto head = wire.first(9);
  std::vector<uint8_t> out(head.begin(), head.end());
  if (keys_.mode == WrapMode::Auth) {
    size_t tag_size = auth_tag_size(keys_.digest);
    auto tag = wire.subspan(9, tag_size);
    auto rp = wire.subspan(9 + tag_size, kReplay);
    auto rest = wire.subspan(need);
    std::vector<uint8_t> msg(rp.begin(), rp.end());
    msg.insert(msg.end(), head.begin(), head.end());
    uint8_t want[kMaxTag];
    if (!hmac(mac_of(keys_.digest), keys_.recv_hmac.view(), msg, rest, want) ||
        !equal_ct(want, tag.data(), tag_size))
      return Errc::Denied;
    out.insert(out.end(), rest.begin(), rest.end());
  } else {
    auto rp = wire.subspan(9, kReplay);
    auto tag = wire.subspan(9 + kReplay, kSha256);
    auto ct = wire.subspan(need);
    out.insert(out.end(), rp.begin(), rp.end());  // the HMAC covers op | sid | replay
    size_t at = out.size();
    out.resize(at + ct.size());
    aes256_ctr(keys_.recv_cipher.view(), tag.data(), ct.data(), ct.size(), out.data() + at);
    uint8_t want[kSha256];
    if (!hmac(GNUTLS_MAC_SHA256, keys_.recv_hmac.view(), std::span<const uint8_t>(out.data(), at),
              std::span<const uint8_t>(out.data() + at, ct.size()), want) ||
        !equal_ct(want, tag.data(), kSha256))
      return Errc::Denied;
    out.erase(out.begin() + 9, out.begin() + static_cast<long>(at));
  }
  if (check_replay) {
    auto rp = replay_of(wire, keys_.mode, keys_.digest);
    if (!rp.ok() || !window_.accept(rp->first, rp->second)) {
      ++replays_;
      return Errc::State;
    }
  }
  return out;
}

}  // namespace sslvpn::ovpn
