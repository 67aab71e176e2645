// The server's certificate chain outside the handshake: the zygote's parsed chains
// (worker/prepared_chains) that forked workers take instead of parsing, and sec-mod's check that
// a server-key fits its server-cert (workers no longer make GnuTLS's check).
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "common/gnutls_handles.hpp"
#include "common/ipc_channel.hpp"
#include "sec-mod/server_key.hpp"
#include "worker/prepared_chains.hpp"
#include "worker/secmod_client.hpp"
#include "worker/secmod_credentials.hpp"
#include "worker/tls_server.hpp"

using namespace sslvpn;

namespace {

struct KeyAndCert {
  std::string key_pem, cert_pem;
};

std::string export_datum(int r, gnutls_datum_t d) {
  REQUIRE(r >= 0);
  std::string out(reinterpret_cast<char*>(d.data), d.size);
  gnutls_free(d.data);
  return out;
}

enum class Kind { Ecdsa, Rsa, RsaPss, Ed25519 };

// A fresh key and a self-signed certificate for it, both PEM, with these DNS subject alternative
// names: ECDSA P-256 by default; RsaPss: an RSA-2048 key whose certificate says RSA-PSS (GnuTLS
// lets such a key serve).
KeyAndCert make_key_and_cert(const char* cn, std::vector<std::string> dns = {}, Kind kind = Kind::Ecdsa) {
  gnutls_x509_privkey_t raw_key = nullptr;
  REQUIRE(gnutls_x509_privkey_init(&raw_key) >= 0);
  CHandle<gnutls_x509_privkey_int, gnutls_x509_privkey_deinit> key(raw_key);
  bool rsa_pss_cert = kind == Kind::RsaPss;
  if (kind == Kind::Rsa || kind == Kind::RsaPss)
    REQUIRE(gnutls_x509_privkey_generate(raw_key, GNUTLS_PK_RSA, 2048, 0) >= 0);
  else if (kind == Kind::Ed25519)
    REQUIRE(gnutls_x509_privkey_generate(raw_key, GNUTLS_PK_EDDSA_ED25519,
                                         GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519), 0) >= 0);
  else
    REQUIRE(gnutls_x509_privkey_generate(raw_key, GNUTLS_PK_ECDSA,
                                         GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) >= 0);
  gnutls_x509_crt_t raw_crt = nullptr;
  REQUIRE(gnutls_x509_crt_init(&raw_crt) >= 0);
  X509CrtHandle crt(raw_crt);
  REQUIRE(gnutls_x509_crt_set_version(raw_crt, 3) >= 0);
  unsigned char serial[4] = {1, 2, 3, 4};
  REQUIRE(gnutls_x509_crt_set_serial(raw_crt, serial, sizeof serial) >= 0);
  REQUIRE(gnutls_x509_crt_set_dn_by_oid(raw_crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, std::strlen(cn)) >= 0);
  REQUIRE(gnutls_x509_crt_set_issuer_dn_by_oid(raw_crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                               std::strlen(cn)) >= 0);
  time_t now = ::time(nullptr);
  REQUIRE(gnutls_x509_crt_set_activation_time(raw_crt, now - 60) >= 0);
  REQUIRE(gnutls_x509_crt_set_expiration_time(raw_crt, now + 3600) >= 0);
  for (const auto& d : dns)
    REQUIRE(gnutls_x509_crt_set_subject_alt_name(raw_crt, GNUTLS_SAN_DNSNAME, d.data(),
                                                 static_cast<unsigned>(d.size()), GNUTLS_FSAN_APPEND) >= 0);
  REQUIRE(gnutls_x509_crt_set_key(raw_crt, raw_key) >= 0);
  if (rsa_pss_cert) {
    gnutls_x509_spki_t spki = nullptr;
    REQUIRE(gnutls_x509_spki_init(&spki) >= 0);
    gnutls_x509_spki_set_rsa_pss_params(spki, GNUTLS_DIG_SHA256, 32);
    int r = gnutls_x509_crt_set_spki(raw_crt, spki, 0);
    gnutls_x509_spki_deinit(spki);
    REQUIRE(r >= 0);
  }
  auto dig = kind == Kind::Ed25519 ? GNUTLS_DIG_SHA512 : GNUTLS_DIG_SHA256;  // EdDSA: its own hash
  REQUIRE(gnutls_x509_crt_sign2(raw_crt, raw_crt, raw_key, dig, 0) >= 0);
  KeyAndCert out;
  gnutls_datum_t d{nullptr, 0};
  if (kind == Kind::Ed25519)  // as certtool writes it: PKCS#8 (GnuTLS's own form does not load)
    out.key_pem = export_datum(
        gnutls_x509_privkey_export2_pkcs8(raw_key, GNUTLS_X509_FMT_PEM, nullptr, GNUTLS_PKCS_PLAIN, &d), d);
  else
    out.key_pem = export_datum(gnutls_x509_privkey_export2(raw_key, GNUTLS_X509_FMT_PEM, &d), d);
  out.cert_pem = export_datum(gnutls_x509_crt_export2(raw_crt, GNUTLS_X509_FMT_PEM, &d), d);
  return out;
}

struct TempFile {
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/sslvpnd-unit-XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~TempFile() { ::unlink(path.c_str()); }
  std::string path;
};

}  // namespace

TEST_CASE("prepared chains: a parsed chain is handed over once, for the exact PEM", "[zygote][tls]") {
  KeyAndCert a = make_key_and_cert("a.example"), b = make_key_and_cert("b.example");
  worker::PreparedChains chains;
  chains.add(a.cert_pem);
  chains.add(a.cert_pem);  // the same chain twice (two hosts, one certificate) is kept once
  chains.add("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  chains.add("");
  CHECK(chains.size() == 1);  // what does not parse is left to the worker, which reports it
  CHECK_FALSE(chains.take(b.cert_pem).has_value());
  CHECK_FALSE(chains.take(a.cert_pem + "\n").has_value());  // not the same bytes: not this chain
  auto taken = chains.take(a.cert_pem);
  REQUIRE(taken.has_value());
  // The leaf's names as GnuTLS takes them: no DNS alternative name here, so the common name.
  CHECK(taken->names == std::vector<std::string>{"a.example"});
  PcertList* got = taken->pcerts.get();
  REQUIRE(got->count() == 1);
  // The same certificate as a fresh parse would give.
  int error = 0;
  auto fresh = worker::parse_chain(a.cert_pem, &error);
  REQUIRE(fresh.ok());
  auto der = [](const gnutls_pcert_st& p) {
    return std::string(reinterpret_cast<char*>(p.cert.data), p.cert.size);
  };
  CHECK(der(got->data()[0]) == der((*fresh)->data()[0]));
  CHECK_FALSE(chains.take(a.cert_pem).has_value());  // handed over: a second host parses its own
  chains.clear();
  CHECK(chains.size() == 0);
}

TEST_CASE("prepared chains: the names are the DNS alternative names when there are some", "[zygote][tls]") {
  KeyAndCert c = make_key_and_cert("cn.example", {"vpn.example", "vpn2.example"});
  worker::PreparedChains chains;
  chains.add(c.cert_pem);
  auto taken = chains.take(c.cert_pem);
  REQUIRE(taken.has_value());
  CHECK(taken->names == std::vector<std::string>{"vpn.example", "vpn2.example"});
}

TEST_CASE("prepared chains: priorities parsed once, handed over once, for the exact string",
          "[zygote][tls]") {
  worker::PreparedChains prepared;
  prepared.add_priorities("NORMAL");
  prepared.add_priorities("NORMAL");               // kept once
  prepared.add_priorities("NORMAL:+NOSUCHTHING");  // does not parse: the worker reports it
  CHECK_FALSE(prepared.take_priorities("NORMAL:+NOSUCHTHING"));
  CHECK_FALSE(prepared.take_priorities("SECURE256"));
  auto p = prepared.take_priorities("NORMAL");
  REQUIRE(p);
  CHECK_FALSE(prepared.take_priorities("NORMAL"));  // handed over: a second host parses its own
  // A TLS server built with the prepared store takes them (and its chain) from there.
  KeyAndCert a = make_key_and_cert("a.example");
  prepared.add(a.cert_pem);
  prepared.add_priorities("NORMAL:%SERVER_PRECEDENCE");
  worker::SecModClient signer{IpcChannel{UniqueFd()}};
  std::string error;
  auto t = worker::TlsServer::create(-1, a.cert_pem, "NORMAL:%SERVER_PRECEDENCE", signer, false, &error, {},
                                     0, &prepared);
  INFO(error);
  REQUIRE(t.ok());
  CHECK_FALSE(prepared.take_priorities("NORMAL:%SERVER_PRECEDENCE"));
  CHECK_FALSE(prepared.take(a.cert_pem).has_value());
  prepared.add_priorities("NORMAL");
  prepared.clear();
  CHECK_FALSE(prepared.take_priorities("NORMAL"));
}

TEST_CASE("prepared chains: garbage is refused with GnuTLS's error", "[zygote][tls]") {
  int error = 0;
  CHECK_FALSE(worker::parse_chain("garbage", &error).ok());
  CHECK(error < 0);
}

TEST_CASE("server key: the certificate must carry the key's public half", "[secmod][tls]") {
  KeyAndCert a = make_key_and_cert("a.example"), b = make_key_and_cert("b.example");
  TempFile key_a(a.key_pem), cert_a(a.cert_pem), cert_b(b.cert_pem), junk("not a certificate\n");
  secmod::ServerKey key = secmod::ServerKey::load(key_a.path);
  CHECK_NOTHROW(key.check_certificate(cert_a.path, key_a.path));
  // A chain file: the leaf first, then others.
  TempFile chain(a.cert_pem + b.cert_pem);
  CHECK_NOTHROW(key.check_certificate(chain.path, key_a.path));
  TempFile wrong_leaf(b.cert_pem + a.cert_pem);
  CHECK_THROWS_WITH(key.check_certificate(wrong_leaf.path, key_a.path),
                    Catch::Contains("does not match server-key '" + key_a.path + "'"));
  CHECK_THROWS_WITH(key.check_certificate(cert_b.path, key_a.path), Catch::Contains("does not match"));
  CHECK_THROWS_WITH(key.check_certificate(junk.path, key_a.path),
                    Catch::Contains("cannot parse server-cert"));
  CHECK_THROWS_WITH(key.check_certificate("/nonexistent/cert.pem", key_a.path),
                    Catch::Contains("cannot read server-cert"));
}

TEST_CASE("server key: an RSA key fits an RSA-PSS certificate of the same modulus", "[secmod][tls]") {
  KeyAndCert p = make_key_and_cert("pss.example", {}, Kind::RsaPss);
  KeyAndCert other = make_key_and_cert("other.example", {}, Kind::RsaPss);
  {  // the certificate really says RSA-PSS, where the key file says RSA
    gnutls_x509_crt_t raw = nullptr;
    REQUIRE(gnutls_x509_crt_init(&raw) >= 0);
    X509CrtHandle crt(raw);
    gnutls_datum_t d{reinterpret_cast<unsigned char*>(p.cert_pem.data()),
                     static_cast<unsigned>(p.cert_pem.size())};
    REQUIRE(gnutls_x509_crt_import(raw, &d, GNUTLS_X509_FMT_PEM) >= 0);
    REQUIRE(gnutls_x509_crt_get_pk_algorithm(raw, nullptr) == GNUTLS_PK_RSA_PSS);
  }
  TempFile key_p(p.key_pem), cert_p(p.cert_pem), cert_other(other.cert_pem);
  secmod::ServerKey key = secmod::ServerKey::load(key_p.path);
  CHECK_NOTHROW(key.check_certificate(cert_p.path, key_p.path));
  CHECK_THROWS_WITH(key.check_certificate(cert_other.path, key_p.path), Catch::Contains("does not match"));
}

TEST_CASE("server key: sec-mod and the worker name a certificate's key alike", "[secmod][tls]") {
  // A worker names the key it needs by the certificate's key id (SignRequest.key_id); sec-mod
  // finds the key by the id it computed from the same certificate file. Were they to differ, no
  // handshake would get a signature.
  std::vector<std::string> ids;
  for (Kind kind : {Kind::Ecdsa, Kind::Rsa, Kind::RsaPss, Kind::Ed25519}) {
    INFO("key kind " << static_cast<int>(kind));
    KeyAndCert k = make_key_and_cert("id.example", {}, kind);
    TempFile key_file(k.key_pem), cert_file(k.cert_pem + make_key_and_cert("ca.example").cert_pem);
    std::string secmod_id =
        secmod::ServerKey::load(key_file.path).check_certificate(cert_file.path, key_file.path);
    CHECK(secmod_id.size() == 32);
    worker::ExternalKey ext;
    std::string error;
    auto cred = worker::secmod_credentials(k.cert_pem, &ext, &error);
    INFO(error);
    REQUIRE(cred.ok());
    CHECK(ext.id == secmod_id);
    // ... and so does a worker whose zygote prepared the chain (and computed the id once).
    worker::PreparedChains chains;
    chains.add(k.cert_pem);
    worker::ExternalKey prepared_ext;
    prepared_ext.id = "stale";
    REQUIRE(worker::secmod_credentials(k.cert_pem, &prepared_ext, &error, &chains).ok());
    CHECK(prepared_ext.id == secmod_id);
    CHECK_FALSE(chains.take(k.cert_pem).has_value());  // the prepared chain was the one used
    ids.push_back(secmod_id);
  }
  std::sort(ids.begin(), ids.end());
  CHECK(std::unique(ids.begin(), ids.end()) == ids.end());  // each certificate its own
}
