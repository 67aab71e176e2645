// sec-mod's libcrypto RSA signer against GnuTLS: byte-identical PKCS#1 v1.5 signatures, PSS
// signatures GnuTLS verifies, and every request it does not know left to GnuTLS.
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "sec-mod/rsa_signer.hpp"
#include "sec-mod/server_key.hpp"

using namespace sslvpn;
using namespace sslvpn::secmod;

namespace {

using PrivKey = std::unique_ptr<gnutls_privkey_st, void (*)(gnutls_privkey_t)>;
using PubKey = std::unique_ptr<gnutls_pubkey_st, void (*)(gnutls_pubkey_t)>;

PrivKey generate(gnutls_pk_algorithm_t pk, unsigned bits) {
  gnutls_privkey_t k = nullptr;
  REQUIRE(gnutls_privkey_init(&k) >= 0);
  PrivKey key(k, gnutls_privkey_deinit);
  REQUIRE(gnutls_privkey_generate(k, pk, bits, 0) >= 0);
  return key;
}

// One RSA-2048 key for the whole file (generating one takes a while).
gnutls_privkey_t rsa_key() {
  static PrivKey key = generate(GNUTLS_PK_RSA, 2048);
  return key.get();
}

PubKey public_of(gnutls_privkey_t k) {
  gnutls_pubkey_t p = nullptr;
  REQUIRE(gnutls_pubkey_init(&p) >= 0);
  PubKey pub(p, gnutls_pubkey_deinit);
  REQUIRE(gnutls_pubkey_import_privkey(p, k, 0, 0) >= 0);
  return pub;
}

gnutls_datum_t datum(const std::string& s) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())), static_cast<unsigned>(s.size())};
}

std::string gnutls_sign(gnutls_privkey_t k, gnutls_sign_algorithm_t a, const std::string& msg) {
  gnutls_datum_t in = datum(msg), sig{nullptr, 0};
  REQUIRE(gnutls_privkey_sign_data2(k, a, 0, &in, &sig) >= 0);
  std::string out(reinterpret_cast<char*>(sig.data), sig.size);
  gnutls_free(sig.data);
  return out;
}

std::string digest_of(gnutls_digest_algorithm_t d, const std::string& msg) {
  std::string out(gnutls_hash_get_len(d), '\0');
  REQUIRE(gnutls_hash_fast(d, msg.data(), msg.size(), out.data()) >= 0);
  return out;
}

}  // namespace

TEST_CASE("rsa signer: PKCS#1 v1.5 signatures equal GnuTLS's, from the message or its digest",
          "[secmod][rsa]") {
  auto signer = RsaSigner::from(rsa_key());
  REQUIRE(signer);
  const std::string msg = "TLS 1.2 ServerKeyExchange params";
  struct Case {
    gnutls_sign_algorithm_t a;
    gnutls_digest_algorithm_t d;
  };
  for (auto c :
       {Case{GNUTLS_SIGN_RSA_SHA1, GNUTLS_DIG_SHA1}, Case{GNUTLS_SIGN_RSA_SHA256, GNUTLS_DIG_SHA256},
        Case{GNUTLS_SIGN_RSA_SHA384, GNUTLS_DIG_SHA384}, Case{GNUTLS_SIGN_RSA_SHA512, GNUTLS_DIG_SHA512}}) {
    INFO(gnutls_sign_get_name(c.a));
    std::string expect = gnutls_sign(rsa_key(), c.a, msg);
    auto from_msg = signer->sign(false, c.a, 0, msg);
    REQUIRE(from_msg.ok());
    CHECK(*from_msg == expect);
    auto from_digest = signer->sign(true, c.a, 0, digest_of(c.d, msg));
    REQUIRE(from_digest.ok());
    CHECK(*from_digest == expect);
  }
}

TEST_CASE("rsa signer: RSA-PSS-RSAE signatures verify with GnuTLS, and a changed byte does not",
          "[secmod][rsa]") {
  auto signer = RsaSigner::from(rsa_key());
  REQUIRE(signer);
  auto pub = public_of(rsa_key());
  const std::string msg = "TLS 1.3, server CertificateVerify";
  for (auto [a, d] : {std::pair{GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, GNUTLS_DIG_SHA256},
                      std::pair{GNUTLS_SIGN_RSA_PSS_RSAE_SHA384, GNUTLS_DIG_SHA384},
                      std::pair{GNUTLS_SIGN_RSA_PSS_RSAE_SHA512, GNUTLS_DIG_SHA512}}) {
    INFO(gnutls_sign_get_name(a));
    // As GnuTLS asks a TLS 1.3 handshake's signature of an external key: the digest, PSS flag.
    auto sig = signer->sign(true, a, GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS, digest_of(d, msg));
    REQUIRE(sig.ok());
    CHECK(sig->size() == 256);
    gnutls_datum_t m = datum(msg), s = datum(*sig);
    CHECK(gnutls_pubkey_verify_data2(pub.get(), a, 0, &m, &s) >= 0);
    std::string bad = *sig;
    bad[100] ^= 1;
    gnutls_datum_t b = datum(bad);
    CHECK(gnutls_pubkey_verify_data2(pub.get(), a, 0, &m, &b) < 0);
    // Salted: two signatures of one message differ.
    auto again = signer->sign(false, a, GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS, msg);
    REQUIRE(again.ok());
    CHECK(*again != *sig);
  }
}

TEST_CASE("rsa signer: what it does not know is left to GnuTLS", "[secmod][rsa]") {
  auto signer = RsaSigner::from(rsa_key());
  REQUIRE(signer);
  std::string sha256(32, 'x');
  // A raw signature of a message (raw ones sign what they are given).
  CHECK(signer->sign(false, GNUTLS_SIGN_RSA_RAW, 0, sha256).error() == Errc::UnknownType);
  // A PKCS#1 algorithm with the PSS flag; RSA-PSS keys' own algorithm; another key type's.
  CHECK(signer->sign(true, GNUTLS_SIGN_RSA_SHA256, GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS, sha256).error() ==
        Errc::UnknownType);
  CHECK(signer->sign(true, GNUTLS_SIGN_RSA_PSS_SHA256, GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS, sha256).error() ==
        Errc::UnknownType);
  CHECK(signer->sign(true, GNUTLS_SIGN_ECDSA_SECP256R1_SHA256, 0, sha256).error() == Errc::UnknownType);
  CHECK(signer->sign(true, 0xffff, 0, sha256).error() == Errc::UnknownType);
  // A digest of the wrong length.
  CHECK(signer->sign(true, GNUTLS_SIGN_RSA_SHA256, 0, std::string(20, 'x')).error() == Errc::UnknownType);
  CHECK(signer->sign(true, GNUTLS_SIGN_RSA_SHA256, 0, "").error() == Errc::UnknownType);
}

TEST_CASE("rsa signer: only plain RSA keys get one", "[secmod][rsa]") {
  CHECK(RsaSigner::from(rsa_key()) != nullptr);
  CHECK(RsaSigner::from(generate(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1)).get()) ==
        nullptr);
  CHECK(RsaSigner::from(generate(GNUTLS_PK_RSA_PSS, 2048).get()) == nullptr);
}

TEST_CASE("rsa signer: a server key signs through it, and GnuTLS signs what it leaves", "[secmod][rsa]") {
  gnutls_x509_privkey_t x = nullptr;
  REQUIRE(gnutls_privkey_export_x509(rsa_key(), &x) >= 0);
  gnutls_datum_t pem{nullptr, 0};
  REQUIRE(gnutls_x509_privkey_export2(x, GNUTLS_X509_FMT_PEM, &pem) >= 0);
  gnutls_x509_privkey_deinit(x);
  char tmpl[] = "/tmp/sslvpnd-rsa-test.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::ofstream(dir + "/key.pem") << std::string(reinterpret_cast<char*>(pem.data), pem.size);
  gnutls_free(pem.data);
  ServerKey key = ServerKey::load(dir + "/key.pem");
  ::unlink((dir + "/key.pem").c_str());
  ::rmdir(dir.c_str());
  CHECK(key.fast_rsa());
  const std::string msg = "handshake";
  auto pkcs1 = key.sign(false, GNUTLS_SIGN_RSA_SHA256, 0, msg);
  REQUIRE(pkcs1.ok());
  CHECK(*pkcs1 == gnutls_sign(rsa_key(), GNUTLS_SIGN_RSA_SHA256, msg));
  // RSA-PSS keys' own algorithm: the signer declines, and GnuTLS makes it.
  auto pss = key.sign(true, GNUTLS_SIGN_RSA_PSS_SHA256, GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS,
                      digest_of(GNUTLS_DIG_SHA256, msg));
  REQUIRE(pss.ok());
  CHECK(pss->size() == 256);
}

TEST_CASE("rsa signer: raw PKCS#1 signatures (external keys' RSA_RAW, TLS 1.0's MD5+SHA1) equal GnuTLS's",
          "[secmod][rsa]") {
  auto signer = RsaSigner::from(rsa_key());
  REQUIRE(signer);
  const std::string msg = "TLS 1.2 ServerKeyExchange params";
  // What GnuTLS hands an external key's sign_hash callback for RSA-SHA256: the DigestInfo.
  static const unsigned char kSha256Prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
  std::string info = std::string(reinterpret_cast<const char*>(kSha256Prefix), sizeof kSha256Prefix) +
                     digest_of(GNUTLS_DIG_SHA256, msg);
  auto sig = signer->sign(true, GNUTLS_SIGN_RSA_RAW, 0, info);
  REQUIRE(sig.ok());
  CHECK(*sig == gnutls_sign(rsa_key(), GNUTLS_SIGN_RSA_SHA256, msg));
  std::string md5sha1 = digest_of(GNUTLS_DIG_MD5, msg) + digest_of(GNUTLS_DIG_SHA1, msg);
  auto tls1 = signer->sign(true, GNUTLS_SIGN_RSA_SHA256, GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA, md5sha1);
  REQUIRE(tls1.ok());
  auto pub = public_of(rsa_key());
  gnutls_datum_t h = datum(md5sha1), s = datum(*tls1);
  CHECK(gnutls_pubkey_verify_hash2(pub.get(), GNUTLS_SIGN_RSA_SHA256, GNUTLS_PUBKEY_VERIFY_FLAG_TLS1_RSA, &h,
                                   &s) >= 0);
  // Longer than the modulus allows (k - 11 bytes): refused, not truncated.
  CHECK(signer->sign(true, GNUTLS_SIGN_RSA_RAW, 0, std::string(250, 'x')).error() == Errc::Crypto);
}
