#include "sec-mod/rsa_signer.hpp"

#include <gnutls/crypto.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <array>

namespace sslvpn::secmod {
namespace {

struct RsaAlgorithm {
  gnutls_sign_algorithm_t sign;
  gnutls_digest_algorithm_t digest;
  const EVP_MD* (*md)();
  bool pss;
};

// The RSA signatures a TLS handshake asks of a plain RSA key. RSA-PSS keys' own algorithms
// (GNUTLS_SIGN_RSA_PSS_SHA*) are not here: such keys never get a signer.
constexpr std::array<RsaAlgorithm, 7> kAlgorithms{{
    {GNUTLS_SIGN_RSA_SHA1, GNUTLS_DIG_SHA1, &EVP_sha1, false},
    {GNUTLS_SIGN_RSA_SHA256, GNUTLS_DIG_SHA256, &EVP_sha256, false},
    {GNUTLS_SIGN_RSA_SHA384, GNUTLS_DIG_SHA384, &EVP_sha384, false},
    {GNUTLS_SIGN_RSA_SHA512, GNUTLS_DIG_SHA512, &EVP_sha512, false},
    {GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, GNUTLS_DIG_SHA256, &EVP_sha256, true},
    {GNUTLS_SIGN_RSA_PSS_RSAE_SHA384, GNUTLS_DIG_SHA384, &EVP_sha384, true},
    {GNUTLS_SIGN_RSA_PSS_RSAE_SHA512, GNUTLS_DIG_SHA512, &EVP_sha512, true},
}};

// libcrypto's error queue is per thread and grows with each failure: empty it as we fail.
Errc cleared(Errc e) {
  ERR_clear_error();
  return e;
}

const RsaAlgorithm* find_algorithm(unsigned a) {
  for (const auto& r : kAlgorithms)
    if (static_cast<unsigned>(r.sign) == a) return &r;
  return nullptr;
}

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }  // clears the secure part
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

// GnuTLS's exported RSA parameters, wiped and freed on every path.
struct RawRsa {
  std::array<gnutls_datum_t, 8> d{};  // n, e, d, p, q, u (q^-1 mod p), e1, e2
  ~RawRsa() {
    for (auto& x : d) {
      if (x.data != nullptr) gnutls_memset(x.data, 0, x.size);
      gnutls_free(x.data);
    }
  }
};

// libcrypto's copy of the key: the private values pass through secure BIGNUMs and a parameter
// block that OSSL_PARAM_free clears.
EVP_PKEY* to_openssl(gnutls_privkey_t key) {
  RawRsa raw;
  auto& v = raw.d;
  if (gnutls_privkey_export_rsa_raw2(key, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], 0) < 0)
    return nullptr;
  static constexpr std::array<const char*, 8> kNames{
      OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,        OSSL_PKEY_PARAM_RSA_D,
      OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,  OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
      OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2};
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld) return nullptr;
  std::array<Bn, 8> bn;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].data == nullptr || v[i].size == 0) return nullptr;
    bn[i].reset(i < 2 ? BN_new() : BN_secure_new());  // BN_secure_new: cleared when freed
    if (!bn[i] || BN_bin2bn(v[i].data, static_cast<int>(v[i].size), bn[i].get()) == nullptr ||
        OSSL_PARAM_BLD_push_BN(bld.get(), kNames[i], bn[i].get()) != 1)
      return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_KEYPAIR, params.get()) != 1)
    return nullptr;
  return pkey;
}

gnutls_datum_t datum(std::string_view s) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())), static_cast<unsigned>(s.size())};
}

// Every algorithm of kAlgorithms, from the message and from its digest, and a raw one. A
// PKCS#1 v1.5 signature is deterministic: libcrypto's must equal GnuTLS's byte for byte. A PSS
// one is salted: GnuTLS must verify libcrypto's. A libcrypto that refuses one (a policy that
// forbids SHA-1, say) means no signer: GnuTLS keeps signing everything.
bool self_test(gnutls_privkey_t key, const RsaSigner& s) {
  static constexpr std::string_view kText = "sslvpnd: libcrypto signs as GnuTLS does";
  gnutls_datum_t text = datum(kText);
  gnutls_pubkey_t pub = nullptr;
  if (gnutls_pubkey_init(&pub) < 0) return false;
  std::unique_ptr<gnutls_pubkey_st, void (*)(gnutls_pubkey_t)> owned(pub, gnutls_pubkey_deinit);
  if (gnutls_pubkey_import_privkey(pub, key, 0, 0) < 0) return false;
  for (const auto& a : kAlgorithms) {
    unsigned flags = a.pss ? GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS : 0;
    std::string digest(gnutls_hash_get_len(a.digest), '\0');
    if (gnutls_hash_fast(a.digest, kText.data(), kText.size(), digest.data()) < 0) return false;
    auto from_text = s.sign(false, a.sign, flags, kText);
    auto from_digest = s.sign(true, a.sign, flags, digest);
    if (!from_text || !from_digest) return false;
    if (a.pss) {
      for (const auto& sig : {*from_text, *from_digest}) {
        gnutls_datum_t d = datum(sig);
        if (gnutls_pubkey_verify_data2(pub, a.sign, 0, &text, &d) < 0) return false;
      }
      continue;
    }
    gnutls_datum_t ref{nullptr, 0};
    if (gnutls_privkey_sign_data2(key, a.sign, 0, &text, &ref) < 0) return false;
    std::string expect(reinterpret_cast<char*>(ref.data), ref.size);
    gnutls_free(ref.data);
    if (*from_text != expect || *from_digest != expect) return false;
  }
  // Raw (TLS 1.0's MD5+SHA1): GnuTLS verifies it.
  std::string md5sha1(36, '\0');
  if (gnutls_hash_fast(GNUTLS_DIG_MD5, kText.data(), kText.size(), md5sha1.data()) < 0 ||
      gnutls_hash_fast(GNUTLS_DIG_SHA1, kText.data(), kText.size(), md5sha1.data() + 16) < 0)
    return false;
  auto raw = s.sign(true, GNUTLS_SIGN_RSA_SHA256, GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA, md5sha1);
  if (!raw) return false;
  gnutls_datum_t h = datum(md5sha1), sig = datum(*raw);
  return gnutls_pubkey_verify_hash2(pub, GNUTLS_SIGN_RSA_SHA256, GNUTLS_PUBKEY_VERIFY_FLAG_TLS1_RSA, &h,
                                    &sig) >= 0;
}

}  // namespace

std::unique_ptr<RsaSigner> RsaSigner::from(gnutls_privkey_t key) {
  unsigned bits = 0;
  if (gnutls_privkey_get_pk_algorithm(key, &bits) != GNUTLS_PK_RSA) return nullptr;
  EVP_PKEY* pkey = to_openssl(key);
  if (pkey == nullptr) return nullptr;
  std::unique_ptr<RsaSigner> s(new RsaSigner(pkey));
  if (!self_test(key, *s)) return nullptr;
  return s;
}

RsaSigner::~RsaSigner() {
  EVP_PKEY_free(pkey_);
}

Result<std::string> RsaSigner::sign(bool hash, unsigned algorithm, unsigned flags,
                                    std::string_view data) const {
  // PKCS#1 v1.5 padding over `data` as given: GnuTLS asks this of an external key (RSA_RAW,
  // DigestInfo already encoded), and TLS 1.0 of any key (MD5+SHA1, TLS1_RSA flag).
  // Any other flag (GNUTLS_PRIVKEY_FLAG_REPRODUCIBLE, say) is GnuTLS's to honour.
  constexpr unsigned kKnownFlags = GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA | GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS;
  if ((flags & ~kKnownFlags) != 0) return Errc::UnknownType;
  bool raw = algorithm == GNUTLS_SIGN_RSA_RAW || (flags & GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA) != 0;
  const RsaAlgorithm* a = raw ? nullptr : find_algorithm(algorithm);
  if ((!raw && a == nullptr) || (raw && !hash) ||
      ((a == nullptr || !a->pss) && (flags & GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS) != 0))
    return Errc::UnknownType;
  std::array<unsigned char, 64> digest{};
  std::string_view input = data;
  if (!raw) {
    size_t digest_len = gnutls_hash_get_len(a->digest);
    if (hash && data.size() != digest_len) return Errc::UnknownType;  // GnuTLS says what is wrong
    if (!hash && gnutls_hash_fast(a->digest, data.data(), data.size(), digest.data()) < 0)
      return Errc::Crypto;
    if (!hash) input = {reinterpret_cast<const char*>(digest.data()), digest_len};
  }
  // A context libcrypto will not set up (its policy refuses the hash, say) leaves the
  // signature to GnuTLS; a failure to sign is an error.
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(),
                                   a != nullptr && a->pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) != 1 ||
      (a != nullptr && EVP_PKEY_CTX_set_signature_md(ctx.get(), a->md()) != 1))
    return cleared(Errc::UnknownType);
  // TLS's PSS: MGF1 with the same hash, and a salt as long as the digest (RFC 8446 4.2.3).
  if (a != nullptr && a->pss &&
      (EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), a->md()) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) != 1))
    return cleared(Errc::UnknownType);
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, in, input.size()) != 1) return cleared(Errc::Crypto);
  std::string out(len, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in, input.size()) != 1)
    return cleared(Errc::Crypto);
  out.resize(len);
  return out;
}

}  // namespace sslvpn::secmod
