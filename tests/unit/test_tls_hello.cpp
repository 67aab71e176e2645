// main's ClientHello peek (main/tls_hello.hpp): a real GnuTLS hello is Fresh; a hello with a
// pre_shared_key or a non-empty session_ticket extension is a Resumption; anything cut short
// or not TLS is Unknown.
#include <gnutls/gnutls.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "main/tls_hello.hpp"

using namespace sslvpn::mainproc;

namespace {

void put16(std::vector<uint8_t>& v, size_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}

// A TLS record holding a ClientHello with the given extensions (type, data).
std::vector<uint8_t> hello(const std::vector<std::pair<uint16_t, std::vector<uint8_t>>>& exts) {
  std::vector<uint8_t> body = {3, 3};
  body.insert(body.end(), 32, 0xab);  // random
  body.push_back(32);
  body.insert(body.end(), 32, 0x11);  // legacy session id
  put16(body, 4);
  body.insert(body.end(), {0x13, 0x01, 0x13, 0x02});
  body.insert(body.end(), {1, 0});  // compression: null
  std::vector<uint8_t> ext;
  for (const auto& [type, data] : exts) {
    put16(ext, type);
    put16(ext, data.size());
    ext.insert(ext.end(), data.begin(), data.end());
  }
  put16(body, ext.size());
  body.insert(body.end(), ext.begin(), ext.end());
  std::vector<uint8_t> hs = {1, 0, static_cast<uint8_t>(body.size() >> 8), static_cast<uint8_t>(body.size())};
  hs.insert(hs.end(), body.begin(), body.end());
  std::vector<uint8_t> rec = {22, 3, 1};
  put16(rec, hs.size());
  rec.insert(rec.end(), hs.begin(), hs.end());
  return rec;
}

ssize_t capture(gnutls_transport_ptr_t p, const void* data, size_t len) {
  auto* out = static_cast<std::vector<uint8_t>*>(p);
  const auto* b = static_cast<const uint8_t*>(data);
  out->insert(out->end(), b, b + len);
  return static_cast<ssize_t>(len);
}

ssize_t nothing(gnutls_transport_ptr_t, void*, size_t) {
  errno = EAGAIN;
  return -1;
}

// The ClientHello a real GnuTLS client sends first.
std::vector<uint8_t> gnutls_hello() {
  std::vector<uint8_t> out;
  gnutls_session_t s;
  gnutls_certificate_credentials_t cred;
  gnutls_certificate_allocate_credentials(&cred);
  gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
  gnutls_set_default_priority(s);
  gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
  gnutls_transport_set_ptr(s, &out);
  gnutls_transport_set_push_function(s, capture);
  gnutls_transport_set_pull_function(s, nothing);
  (void)gnutls_handshake(s);
  gnutls_deinit(s);
  gnutls_certificate_free_credentials(cred);
  return out;
}

}  // namespace

TEST_CASE("tls_hello: a real GnuTLS ClientHello resumes nothing") {
  auto h = gnutls_hello();
  REQUIRE(h.size() > 100);
  CHECK(classify_client_hello(h) == HelloKind::Fresh);
  // Every cut short of its extensions is Unknown, never a crash or a guess.
  for (size_t n = 0; n + 1 < h.size(); n += 7)
    CHECK(classify_client_hello(std::span<const uint8_t>(h.data(), n)) == HelloKind::Unknown);
}

TEST_CASE("tls_hello: pre_shared_key or a session ticket is a resumption") {
  CHECK(classify_client_hello(hello({{43, {2, 3, 4}}, {41, {0, 1, 2}}})) == HelloKind::Resumption);
  CHECK(classify_client_hello(hello({{35, {9, 9, 9, 9}}})) == HelloKind::Resumption);
  CHECK(classify_client_hello(hello({{35, {}}})) == HelloKind::Fresh);  // "I can take a ticket"
  CHECK(classify_client_hello(hello({{0, {0, 0}}, {43, {2, 3, 4}}})) == HelloKind::Fresh);
  CHECK(classify_client_hello(hello({})) == HelloKind::Fresh);
}

TEST_CASE("tls_hello: not a ClientHello, or not TLS, is Unknown") {
  auto h = hello({{41, {1}}});
  auto bad = h;
  bad[0] = 23;  // application data
  CHECK(classify_client_hello(bad) == HelloKind::Unknown);
  bad = h;
  bad[5] = 2;  // a ServerHello
  CHECK(classify_client_hello(bad) == HelloKind::Unknown);
  std::vector<uint8_t> http = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P'};
  CHECK(classify_client_hello(http) == HelloKind::Unknown);
  auto other = hello({{43, {1}}});
  other[other.size() - 3] = 0xff;  // an extension longer than what is left
  CHECK(classify_client_hello(other) == HelloKind::Unknown);
}

TEST_CASE("tls_hello: a pre_shared_key header is enough, even with its ticket cut off") {
  // A ticket can be large (GnuTLS packs the session into it): the first segment may end in it.
  std::vector<uint8_t> ticket(3000, 0x5a);
  auto h = hello({{43, {2, 3, 4}}, {41, ticket}});
  CHECK(classify_client_hello(h) == HelloKind::Resumption);
  CHECK(classify_client_hello(std::span<const uint8_t>(h.data(), h.size() - 2000)) == HelloKind::Resumption);
  // Cut before the header: not known yet.
  CHECK(classify_client_hello(std::span<const uint8_t>(h.data(), h.size() - ticket.size() - 2)) ==
        HelloKind::Unknown);
}
