// ocsp-response: which files main staples and which it refuses, with the reason.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "common/hex.hpp"
#include "common/ocsp_response.hpp"

using namespace sslvpn;

namespace {

// A self-signed certificate (ocsp.example.com) and a response of openssl's responder about it,
// signed with its key: good, this update 2026-12-05 14:38:33 UTC, next update 7 days later.
const char kCert[] = R"(-----BEGIN CERTIFICATE-----
MIIBjDCCATKgAwIBAgIUNwbXoZJehh8IvrPRL1ZrR3YnsFcwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAxMQb2NzcC5leGFtcGxlLmNvbTAeFw0yNjEyMDUxNDM4MzNaFw0z
NjEyMDIxNDM4MzNaMBsxGTAXBgNVBAMTEG9jc3AuZXhhbXBsZS5jb20wWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAQf384JztODCIWtULp2bfvI1chvSVGEV5Jyx5Bg
bePStX59+/uxo3UsdTVSzqFlSv/09pyNIXnAJVGTF8sriDZgo1QwUjAMBgNVHRMB
Af8EAjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMA4GA1UdDwEB/wQEAwIHgDAdBgNV
HQ4EFgQUp4D4dB/ThmS7okk1x2ze5U/Td2YwCgYIKoZIzj0EAwIDSAAwRQIgBG9f
QSFcEeseaOky1CKp1ujiXp/wbvbmf/MWNO6bt0sCIQCktsdx4jpLyiktVAZXheF2
ZhRBbVJKIUWQOmlOYB+JXQ==
-----END CERTIFICATE-----
)";
const char kResponseHex[] =
    "308202b80a0100a08202b1308202ad06092b06010505073001010482029e3082029a3081a9a11d301b31193017060355"
    "040313106f6373702e6578616d706c652e636f6d180f32303236313230353134333833335a30773075304d300906052b"
    "0e03021a050004147646f9cdbd487214a2b6960d1d36241058d6962504142d622879aeb2452d17c7e2976a52761b8887"
    "e15202143706d7a1925e861f08beb3d12f566b477627b0578000180f32303236313230353134333833335aa011180f32"
    "303236313231323134333833335a300a06082a8648ce3d0403020348003045022100c5fd64fa6a7b5ea1ba0b2c244900"
    "2e154b0840516e677dd1585e497ed9c3f48b02203768e438baf1da37707db04bf5c0d0c665011a636cf5f0e4bdb620ca"
    "0b89b3e7a0820194308201903082018c30820132a00302010202143706d7a1925e861f08beb3d12f566b477627b05730"
    "0a06082a8648ce3d040302301b31193017060355040313106f6373702e6578616d706c652e636f6d301e170d32363132"
    "30353134333833335a170d3336313230323134333833335a301b31193017060355040313106f6373702e6578616d706c"
    "652e636f6d3059301306072a8648ce3d020106082a8648ce3d030107034200041fdfce09ced3830885ad50ba766dfbc8"
    "d5c86f495184579272c790606de3d2b57e7dfbfbb1a3752c753552cea1654afff4f69c8d2179c025519317cb2b883660"
    "a3543052300c0603551d130101ff0402300030130603551d25040c300a06082b06010505070301300e0603551d0f0101"
    "ff040403020780301d0603551d0e04160414a780f8741fd38664bba24935c76cdee54fd37766300a06082a8648ce3d04"
    "030203480030450220046f5f41215c11eb1e68e932d422a9d6e8e25e9ff06ef6e67ff31634ee9bb74b022100a4b6c771"
    "e23a4bca292d54065785e1766614416d524a2145903a694e601f895d";
constexpr time_t kThisUpdate = 1796481513;  // 2026-12-05 14:38:33 UTC
constexpr time_t kNextUpdate = kThisUpdate + 7 * 86400;

// Another self-signed certificate: the response is not about it.
const char kOtherCert[] = R"(-----BEGIN CERTIFICATE-----
MIIBjTCCATKgAwIBAgIUZZ2FkLzjEJm/HWmLXKTewju2PmgwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAxMQb2NzcC5leGFtcGxlLmNvbTAeFw0yNjEyMDUxNDM4NDNaFw0z
NjEyMDIxNDM4NDNaMBsxGTAXBgNVBAMTEG9jc3AuZXhhbXBsZS5jb20wWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAARedwJpZEvKIQAniQQmQKEKllQubtFwdeNzozdS
WHhZQU4KeRp0puM7HXbn24Dl9WvvicSRkXUzYeg3OP0r6k4po1QwUjAMBgNVHRMB
Af8EAjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMA4GA1UdDwEB/wQEAwIHgDAdBgNV
HQ4EFgQUnJoXCdVlJCoErDgHiysdC7BG1bcwCgYIKoZIzj0EAwIDSQAwRgIhAM3i
aboZpOvYCDN9Q2ROrjXOFtIpBdjBauWiWMuqRdt2AiEAo4+E1tYuG2hqFhZuw8Ze
Kt77EDFiUqw1RRhOyh8SV20=
-----END CERTIFICATE-----
)";

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/sslvpnd-ocsp-XXXXXX";
    int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    ::close(fd);
    path = name;
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

bool warned(const OcspResponseFile& f, const std::string& text) {
  return f.warnings.size() == 1 && f.warnings[0].find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("ocsp-response: a good response about the leaf is stapled until its next update", "[ocsp]") {
  auto der = hex_decode(kResponseHex);
  REQUIRE(der);
  TempFile file(*der);
  auto ok = load_ocsp_response(file.path, kCert, kThisUpdate + 3600);
  CHECK(ok.der == *der);
  CHECK(ok.warnings.empty());
  auto late = load_ocsp_response(file.path, kCert, kNextUpdate + 1);
  CHECK(late.der.empty());
  CHECK(warned(late, "expired at 2026-12-12 14:38:33 UTC (its next update): fetch a new one and reload"));
  CHECK(load_ocsp_response("", kCert, kThisUpdate).der.empty());  // not configured: nothing, silently
  CHECK(load_ocsp_response("", kCert, kThisUpdate).warnings.empty());
}

TEST_CASE("ocsp-response: another certificate's, a broken or a missing file is not stapled", "[ocsp]") {
  auto der = hex_decode(kResponseHex);
  REQUIRE(der);
  TempFile file(*der);
  auto other = load_ocsp_response(file.path, kOtherCert, kThisUpdate + 3600);
  CHECK(other.der.empty());
  CHECK(warned(other, "is about another certificate than server-cert; it is not stapled"));
  TempFile cut(der->substr(0, der->size() - 10));
  CHECK(warned(load_ocsp_response(cut.path, kCert, kThisUpdate), "is not an OCSP response (DER)"));
  TempFile pem("-----BEGIN OCSP RESPONSE-----\n");
  CHECK(warned(load_ocsp_response(pem.path, kCert, kThisUpdate), "is not an OCSP response (DER)"));
  TempFile big(std::string(kMaxOcspResponse + 1, '\x30'));
  CHECK(warned(load_ocsp_response(big.path, kCert, kThisUpdate), "is larger than 16 KiB"));
  CHECK(warned(load_ocsp_response("/nonexistent/ocsp.der", kCert, kThisUpdate), "cannot read ocsp-response"));
  CHECK(warned(load_ocsp_response("/tmp", kCert, kThisUpdate), "cannot read ocsp-response"));  // a directory
  CHECK(
      warned(load_ocsp_response(file.path, "not a certificate", kThisUpdate), "server-cert does not parse"));
  // "unsuccessful": a responder's error status (tryLater, 3) has no response bytes at all.
  TempFile try_later(std::string("\x30\x03\x0a\x01\x03", 5));
  CHECK(warned(load_ocsp_response(try_later.path, kCert, kThisUpdate), "is an unsuccessful OCSP response"));
}
