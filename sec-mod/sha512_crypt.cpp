#include "sec-mod/sha512_crypt.hpp"

// The one-shot SHA512_* calls: 5000 EVP_DigestInit/Final pairs would cost more than the
// compression function saves.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <cstring>
#include <memory>

namespace sslvpn::secmod {
namespace {

constexpr std::string_view kPrefix = "$6$";
constexpr std::string_view kRounds = "rounds=";
constexpr unsigned long kDefaultRounds = 5000, kMinRounds = 1000, kMaxRounds = 999999999;
constexpr size_t kMaxSalt = 16, kMaxPassword = 512, kHashChars = 86;
constexpr char kB64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool salt_char(char c) {
  return c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

struct Setting {
  unsigned long rounds = kDefaultRounds;
  bool custom_rounds = false;
  std::string_view salt;
};

std::optional<Setting> parse_setting(std::string_view s) {
  if (s.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  s.remove_prefix(kPrefix.size());
  Setting out;
  if (s.substr(0, kRounds.size()) == kRounds) {
    s.remove_prefix(kRounds.size());
    if (s.empty() || s[0] < '1' || s[0] > '9') return std::nullopt;
    unsigned long n = 0;
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      n = n * 10 + static_cast<unsigned long>(s[i] - '0');
      if (n > kMaxRounds) return std::nullopt;
    }
    if (i == s.size() || s[i] != '$' || n < kMinRounds) return std::nullopt;
    out.rounds = n;
    out.custom_rounds = true;
    s.remove_prefix(i + 1);
  }
  size_t end = s.find('$');
  out.salt = s.substr(0, end);
  if (out.salt.empty() || out.salt.size() > kMaxSalt) return std::nullopt;
  for (char c : out.salt)
    if (!salt_char(c)) return std::nullopt;
  // After the salt, at most a hash's 86 characters of the same alphabet (libxcrypt refuses
  // settings with control or non-ASCII bytes anywhere).
  std::string_view rest = end == std::string_view::npos ? std::string_view{} : s.substr(end + 1);
  if (rest.size() > kHashChars) return std::nullopt;
  for (char c : rest)
    if (!salt_char(c)) return std::nullopt;
  return out;
}

using Digest = std::array<unsigned char, SHA512_DIGEST_LENGTH>;

// Wipes what it holds when it goes: every buffer below is derived from the password.
template <size_t N>
struct Secret {
  std::array<unsigned char, N> b{};
  ~Secret() { OPENSSL_cleanse(b.data(), b.size()); }
};

struct Sha {
  SHA512_CTX c;
  Sha() { SHA512_Init(&c); }
  ~Sha() { OPENSSL_cleanse(&c, sizeof c); }
  void add(const void* p, size_t n) { SHA512_Update(&c, p, n); }
  void add(std::string_view s) { add(s.data(), s.size()); }
  void finish(unsigned char* out) { SHA512_Final(out, &c); }
};

// The 86 characters: 21 groups of three bytes (i, i+21, i+42), rotated by i mod 3, and the
// last byte, each group written least significant six bits first.
void encode(const unsigned char* h, std::string& out) {
  auto put = [&out](unsigned w, int n) {
    for (int i = 0; i < n; ++i, w >>= 6) out.push_back(kB64[w & 0x3f]);
  };
  for (int i = 0; i < 21; ++i) {
    std::array<unsigned, 3> t{h[i], h[i + 21], h[i + 42]};
    unsigned a = t[i % 3], b = t[(i + 1) % 3], c = t[(i + 2) % 3];
    put((a << 16) | (b << 8) | c, 4);
  }
  put(h[63], 2);
}

}  // namespace

std::optional<std::string> sha512_crypt(std::string_view password, std::string_view setting) {
  auto st = parse_setting(setting);
  if (!st || password.size() >= kMaxPassword || password.find('\0') != std::string_view::npos)
    return std::nullopt;
  const std::string_view pw = password, salt = st->salt;
  const size_t n = pw.size();
  Secret<SHA512_DIGEST_LENGTH> a, b;
  {  // B = H(P S P)
    Sha h;
    h.add(pw);
    h.add(salt);
    h.add(pw);
    h.finish(b.b.data());
  }
  {  // A = H(P S, B for each byte of P, then B or P for each bit of |P|)
    Sha h;
    h.add(pw);
    h.add(salt);
    size_t left = n;
    for (; left > 64; left -= 64) h.add(b.b.data(), 64);
    h.add(b.b.data(), left);
    for (size_t bits = n; bits > 0; bits >>= 1) (bits & 1) ? h.add(b.b.data(), 64) : h.add(pw);
    h.finish(a.b.data());
  }
  Secret<kMaxPassword> p;  // P': H(P repeated |P| times), stretched to |P| bytes
  {
    Secret<SHA512_DIGEST_LENGTH> dp;
    Sha h;
    for (size_t i = 0; i < n; ++i) h.add(pw);
    h.finish(dp.b.data());
    for (size_t i = 0; i < n; ++i) p.b[i] = dp.b[i % 64];
  }
  Secret<kMaxSalt> s;  // S': H(S repeated 16 + A[0] times), its first |S| bytes
  {
    Secret<SHA512_DIGEST_LENGTH> ds;
    Sha h;
    for (unsigned i = 0; i < 16u + a.b[0]; ++i) h.add(salt);
    h.finish(ds.b.data());
    std::memcpy(s.b.data(), ds.b.data(), salt.size());
  }
  for (unsigned long r = 0; r < st->rounds; ++r) {
    Sha h;
    (r & 1) ? h.add(p.b.data(), n) : h.add(a.b.data(), 64);
    if (r % 3 != 0) h.add(s.b.data(), salt.size());
    if (r % 7 != 0) h.add(p.b.data(), n);
    (r & 1) ? h.add(a.b.data(), 64) : h.add(p.b.data(), n);
    h.finish(a.b.data());
  }
  std::string out;
  out.reserve(128);  // no reallocation leaves a partial hash behind
  out = kPrefix;
  if (st->custom_rounds) out += std::string(kRounds) + std::to_string(st->rounds) + "$";
  out += salt;
  out += '$';
  encode(a.b.data(), out);
  return out;
}

bool sha512_crypt_agrees_with_libxcrypt() {
  static const bool agrees = [] {
    struct Vector {
      const char* password;
      const char* setting;
    };
    static constexpr Vector kVectors[] = {
        {"bench-Pass1", "$6$abcdefgh12345678$"},
        {"", "$6$saltstring"},
        {"Hello world!", "$6$rounds=1000$roundstoolow"},
        {"a", "$6$rounds=1400$./x"},
        {"we have a short salt string but not a short password", "$6$rounds=77777$short"},
        {"a very much longer text to encrypt.  This one even stretches over more"
         "than one line, and more than sixty-four bytes of SHA-512 block.........",
         "$6$rounds=1001$0123456789abcdef"},
    };
    auto data = std::make_unique<crypt_data>();
    for (const auto& v : kVectors) {
      const char* ref = crypt_rn(v.password, v.setting, data.get(), sizeof(crypt_data));
      auto ours = sha512_crypt(v.password, v.setting);
      if (ref == nullptr || ref[0] == '*' || !ours || *ours != ref) return false;
    }
    return true;
  }();
  return agrees;
}

}  // namespace sslvpn::secmod
