#include <catch2/catch.hpp>

#include <vector>

#include "main/udp/classifier.hpp"
#include "main/udp/dtls_hello.hpp"

using namespace sslvpn;
using namespace sslvpn::mainproc;

namespace {

std::vector<uint8_t> client_hello(std::vector<uint8_t> sid, uint16_t version = 0xfefd) {
  std::vector<uint8_t> body = {0xfe, 0xfd};
  body.resize(2 + 32, 0x11);  // random
  body.push_back(static_cast<uint8_t>(sid.size()));
  body.insert(body.end(), sid.begin(), sid.end());
  body.push_back(0);  // cookie length
  std::vector<uint8_t> hs = {1, 0, 0, static_cast<uint8_t>(body.size()), 0, 0, 0, 0,
                             0, 0, 0, static_cast<uint8_t>(body.size())};
  hs.insert(hs.end(), body.begin(), body.end());
  std::vector<uint8_t> rec = {
      22, static_cast<uint8_t>(version >> 8), static_cast<uint8_t>(version), 0, 0, 0, 0, 0, 0, 0, 0,
      0,  static_cast<uint8_t>(hs.size())};
  rec.insert(rec.end(), hs.begin(), hs.end());
  return rec;
}

}  // namespace

TEST_CASE("dtls hello: the session id of a ClientHello", "[dtls][parser]") {
  std::vector<uint8_t> sid(32);
  for (size_t i = 0; i < sid.size(); ++i) sid[i] = static_cast<uint8_t>(i);
  auto r = parse_dtls_datagram(client_hello(sid));
  REQUIRE(r.ok());
  CHECK(r->client_hello);
  CHECK(r->content_type == kDtlsHandshake);
  CHECK(r->session_id == std::string(sid.begin(), sid.end()));
  auto cisco = parse_dtls_datagram(client_hello(sid, 0x0100));  // pre-standard DTLS
  REQUIRE(cisco.ok());
  CHECK(cisco->client_hello);
  auto empty = parse_dtls_datagram(client_hello({}));
  REQUIRE(empty.ok());
  CHECK(empty->session_id.empty());
}

TEST_CASE("dtls hello: other records and bad input", "[dtls][parser]") {
  const uint8_t app[] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 5, 0, 2, 0xaa, 0xbb};
  auto a = parse_dtls_datagram(app);
  REQUIRE(a.ok());
  CHECK_FALSE(a->client_hello);
  CHECK(a->content_type == kDtlsApplicationData);
  const uint8_t short_hdr[] = {22, 0xfe, 0xfd, 0, 0};
  CHECK(parse_dtls_datagram(short_hdr).error() == Errc::Truncated);
  const uint8_t bad_version[] = {22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(parse_dtls_datagram(bad_version).error() == Errc::Malformed);
  const uint8_t bad_type[] = {99, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(parse_dtls_datagram(bad_type).error() == Errc::Malformed);
  const uint8_t long_len[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0};
  CHECK(parse_dtls_datagram(long_len).error() == Errc::Truncated);
  auto too_long_sid = client_hello(std::vector<uint8_t>(33, 1));
  CHECK(parse_dtls_datagram(too_long_sid).error() == Errc::Malformed);
  auto cut = client_hello(std::vector<uint8_t>(32, 1));
  cut.resize(cut.size() - 10);
  CHECK_FALSE(parse_dtls_datagram(cut).ok());
}

namespace {

// main's tables as a classifier sees them: one tunnel with a DTLS id, two tunnels from one address.
class FakeDirectory final : public udp::Directory {
 public:
  pid_t worker_by_dtls_id(std::string_view id) const override { return id == "\x01\x02\x03" ? 101 : -1; }
  pid_t only_dtls_worker_at(std::string_view ip) const override { return ip == "192.0.2.1" ? 101 : -1; }
  pid_t worker_by_esp_spi(uint32_t spi) const override { return spi == 0x12345678 ? 202 : -1; }
  bool has_datagram_path(pid_t w) const override { return w == esp_path_of; }
  pid_t esp_path_of = -1;
};

std::vector<uint8_t> app_data() {
  std::vector<uint8_t> rec = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 8};
  rec.resize(rec.size() + 8, 0xaa);
  return rec;
}

}  // namespace

TEST_CASE("udp classifier (DTLS): routes to live tunnels, creates nothing for the rest", "[dtls][udp]") {
  auto c = udp::make_dtls_classifier();
  FakeDirectory dir;
  auto v = c->classify(client_hello({1, 2, 3}), "198.51.100.9", dir);
  CHECK(v.action == udp::Action::Route);
  CHECK(v.worker == 101);
  CHECK(v.hello);  // a hello only ever starts a candidate handshake in the worker
  CHECK(c->classify(client_hello({9, 9, 9}), "198.51.100.9", dir).action == udp::Action::Drop);
  CHECK(c->classify(client_hello({}), "192.0.2.1", dir).action == udp::Action::Drop);
  // Application data: NAT rebinding, only from the address of exactly one DTLS tunnel.
  auto rebind = c->classify(app_data(), "192.0.2.1", dir);
  CHECK(rebind.action == udp::Action::Route);
  CHECK_FALSE(rebind.hello);
  CHECK(c->classify(app_data(), "192.0.2.2", dir).action == udp::Action::Drop);
  // Garbage and other record types never route.
  std::vector<uint8_t> junk = {0x16, 0x03, 0x01, 0x00};
  CHECK(c->classify(junk, "192.0.2.1", dir).action == udp::Action::Drop);
  auto alert = app_data();
  alert[0] = 21;
  CHECK(c->classify(alert, "192.0.2.1", dir).action == udp::Action::Drop);
  CHECK(c->classify({}, "192.0.2.1", dir).action == udp::Action::Drop);
}

TEST_CASE("udp classifier (ESP): routes by the SPI of a live tunnel, drops the rest", "[esp][udp]") {
  auto c = udp::make_esp_classifier();
  FakeDirectory dir;
  std::vector<uint8_t> esp = {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0};
  esp.resize(udp::kMinEspDatagram, 0x5a);
  auto v = c->classify(esp, "198.51.100.9", dir);
  CHECK(v.action == udp::Action::Route);
  CHECK(v.worker == 202);
  CHECK(v.hello);  // the tunnel's first path: it opens one, if it authenticates
  // Once the worker has a live ESP path, a datagram from elsewhere is a new port to check.
  dir.esp_path_of = 202;
  auto moved = c->classify(esp, "198.51.100.9", dir);
  CHECK(moved.action == udp::Action::Route);
  CHECK(moved.worker == 202);
  CHECK_FALSE(moved.hello);
  dir.esp_path_of = -1;
  auto other = esp;
  other[3] = 0x79;
  CHECK(c->classify(other, "198.51.100.9", dir).action == udp::Action::Drop);
  auto reserved = esp;
  reserved[0] = reserved[1] = reserved[2] = 0;
  CHECK(c->classify(reserved, "198.51.100.9", dir).action == udp::Action::Drop);
  esp.pop_back();  // shorter than any ESP packet GlobalProtect sends
  CHECK(c->classify(esp, "198.51.100.9", dir).action == udp::Action::Drop);
  // A DTLS hello on the ESP port names no SPI of ours.
  CHECK(c->classify(client_hello({1, 2, 3}), "198.51.100.9", dir).action == udp::Action::Drop);
}
