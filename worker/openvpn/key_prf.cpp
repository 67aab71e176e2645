#include "worker/openvpn/key_prf.hpp"

#include <nettle/hmac.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace sslvpn::ovpn {
namespace {

constexpr size_t kMaster = 48;
constexpr size_t kKeys = 256;  // two struct key of openvpn: 64-byte cipher + 64-byte hmac each

// P_hash (RFC 2246 5): A(0) = seed, A(i) = HMAC(A(i-1)); out = HMAC(A(1) | seed) | HMAC(A(2) | seed) ...
template <typename Ctx, size_t Len, auto SetKey, auto Update, auto Digest>
void p_hash(std::span<const uint8_t> secret, std::span<const uint8_t> seed, std::span<uint8_t> out) {
  Ctx ctx;
  std::array<uint8_t, Len> a{}, block{};
  SetKey(&ctx, secret.size(), secret.data());
  Update(&ctx, seed.size(), seed.data());
  Digest(&ctx, Len, a.data());
  for (size_t done = 0; done < out.size(); done += Len) {
    Update(&ctx, Len, a.data());  // the key stays set: a digest resets to the keyed state
    Update(&ctx, seed.size(), seed.data());
    Digest(&ctx, Len, block.data());
    size_t n = std::min(Len, out.size() - done);
    std::copy_n(block.begin(), n, out.begin() + static_cast<ptrdiff_t>(done));
    Update(&ctx, Len, a.data());
    Digest(&ctx, Len, a.data());
  }
  secure_wipe(&ctx, sizeof ctx);
  secure_wipe(a.data(), a.size());
  secure_wipe(block.data(), block.size());
}

void openvpn_prf(std::span<const uint8_t> secret, std::string_view label,
                 std::span<const uint8_t> client_seed, std::span<const uint8_t> server_seed,
                 const SessionId* client_sid, const SessionId* server_sid, std::span<uint8_t> out) {
  std::vector<uint8_t> seed(label.begin(), label.end());
  seed.insert(seed.end(), client_seed.begin(), client_seed.end());
  seed.insert(seed.end(), server_seed.begin(), server_seed.end());
  if (client_sid) seed.insert(seed.end(), client_sid->begin(), client_sid->end());
  if (server_sid) seed.insert(seed.end(), server_sid->begin(), server_sid->end());
  tls1_prf(secret, seed, out);
  secure_wipe(seed.data(), seed.size());
}

}  // namespace

void tls1_prf(std::span<const uint8_t> secret, std::span<const uint8_t> seed, std::span<uint8_t> out) {
  size_t half = secret.size() / 2 + (secret.size() & 1);
  auto s1 = secret.first(half);
  auto s2 = secret.last(half);
  std::vector<uint8_t> sha(out.size());
  p_hash<hmac_md5_ctx, MD5_DIGEST_SIZE, hmac_md5_set_key, hmac_md5_update, hmac_md5_digest>(s1, seed, out);
  p_hash<hmac_sha1_ctx, SHA1_DIGEST_SIZE, hmac_sha1_set_key, hmac_sha1_update, hmac_sha1_digest>(s2, seed,
                                                                                                 sha);
  for (size_t i = 0; i < out.size(); ++i) out[i] ^= sha[i];
  secure_wipe(sha.data(), sha.size());
}

SecretBytes prf_key_material(std::span<const uint8_t, 48> pre_master, const KeySource& client,
                             const KeySource& server, const SessionId& client_sid,
                             const SessionId& server_sid) {
  std::array<uint8_t, kMaster> master{};
  openvpn_prf(pre_master, "OpenVPN master secret", client.random1, server.random1, nullptr, nullptr, master);
  std::string keys(kKeys, '\0');
  openvpn_prf(master, "OpenVPN key expansion", client.random2, server.random2, &client_sid, &server_sid,
              std::span<uint8_t>(reinterpret_cast<uint8_t*>(keys.data()), keys.size()));
  secure_wipe(master.data(), master.size());
  SecretBytes out(keys);
  secure_wipe(keys.data(), keys.size());
  return out;
}

}  // namespace sslvpn::ovpn
