#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/unit/udp_pair.hpp"
#include "worker/gp/esp.hpp"
#include "worker/gp/esp_channel.hpp"
#include "worker/gp/gp_frame.hpp"
#include "worker/tun/inet_csum.hpp"

using namespace sslvpn;
using namespace sslvpn::gp;

namespace {

EspKeyMaterial keys(uint32_t spi, EspCipher c, EspMac m, char fill) {
  EspKeyMaterial k;
  k.spi = spi;
  k.cipher = c;
  k.mac = m;
  k.enc_key = SecretBytes(std::string(esp_key_bytes(c), fill));
  k.mac_key = SecretBytes(std::string(esp_mac_key_bytes(m), static_cast<char>(fill + 1)));
  return k;
}

// An IPv4 ICMP echo request from 10.0.0.5 to 192.0.2.1 with `payload`.
std::vector<uint8_t> echo_request(std::vector<uint8_t> payload) {
  std::vector<uint8_t> p(20 + 8 + payload.size(), 0);
  p[0] = 0x45;
  tun::store_be16(p.data() + 2, static_cast<uint16_t>(p.size()));
  p[8] = 64;
  p[9] = 1;
  uint8_t src[4] = {10, 0, 0, 5}, dst[4] = {192, 0, 2, 1};
  std::memcpy(p.data() + 12, src, 4);
  std::memcpy(p.data() + 16, dst, 4);
  p[20] = 8;
  tun::store_be16(p.data() + 24, 0x4747);
  tun::store_be16(p.data() + 26, 1);
  std::copy(payload.begin(), payload.end(), p.begin() + 28);
  return p;
}

std::vector<uint8_t> seal(EspSa& sa, const std::vector<uint8_t>& packet, uint8_t nh = kNextIpv4) {
  std::vector<uint8_t> out(sa.wire_size(packet.size()));
  auto n = sa.seal(packet, nh, out);
  REQUIRE(n.ok());
  out.resize(*n);
  return out;
}

}  // namespace

TEST_CASE("esp: algorithm choice and names", "[esp]") {
  EspCipher c{};
  EspMac m{};
  REQUIRE(choose_esp_algorithms("aes-128-cbc,aes-256-cbc", "sha1,md5,sha256", &c, &m));
  CHECK(c == EspCipher::Aes128Cbc);  // PAN's default and the fastest pair
  CHECK(m == EspMac::Sha1);
  REQUIRE(choose_esp_algorithms("aes-256-cbc", "md5,sha256", &c, &m));
  CHECK(c == EspCipher::Aes256Cbc);
  CHECK(m == EspMac::Sha256);  // MD5 only when nothing else is offered
  REQUIRE(choose_esp_algorithms("aes-128-cbc", "md5", &c, &m));
  CHECK(std::string(esp_cipher_name(c)) == "aes-128-cbc");
  CHECK(std::string(esp_mac_name(m)) == "md5");
  CHECK_FALSE(choose_esp_algorithms("3des", "sha1", &c, &m));
  CHECK_FALSE(choose_esp_algorithms("aes-128-cbc", "sha512", &c, &m));
  // The key sizes the client checks: bits = digest size for the MAC.
  CHECK(esp_mac_key_bytes(EspMac::Sha1) == 20);
  CHECK(esp_mac_key_bytes(EspMac::Md5) == 16);
  CHECK(esp_mac_key_bytes(EspMac::Sha256) == 32);
  CHECK(esp_icv_bytes(EspMac::Sha256) == 16);
  CHECK(esp_icv_bytes(EspMac::Sha1) == 12);
}

TEST_CASE("esp: seal and open round trip, padding 1,2,3..., every algorithm pair", "[esp]") {
  for (auto c : {EspCipher::Aes128Cbc, EspCipher::Aes256Cbc})
    for (auto m : {EspMac::Sha1, EspMac::Md5, EspMac::Sha256}) {
      auto out = EspSa::create(keys(0x1000, c, m, 'k'));
      auto in = EspSa::create(keys(0x1000, c, m, 'k'));
      REQUIRE(out.ok());
      REQUIRE(in.ok());
      for (size_t len : {20u, 28u, 29u, 44u, 1400u}) {
        std::vector<uint8_t> pkt = echo_request(std::vector<uint8_t>(len > 28 ? len - 28 : 0, 0x33));
        auto wire = seal(**out, pkt);
        CHECK(wire.size() == (*out)->wire_size(pkt.size()));
        CHECK((wire.size() - kEspHeadroom - esp_icv_bytes(m)) % 16 == 0);
        CHECK(tun::load_be32(wire.data()) == 0x1000);
        std::vector<uint8_t> plain(wire.size());
        uint8_t nh = 0;
        auto n = (*in)->open(wire, plain, &nh);
        REQUIRE(n.ok());
        CHECK(nh == kNextIpv4);
        plain.resize(*n);
        CHECK(plain == pkt);
      }
    }
}

TEST_CASE("esp: the sender numbers from 0; the replay window takes 0 and refuses repeats", "[esp]") {
  auto out = EspSa::create(keys(0x2000, EspCipher::Aes128Cbc, EspMac::Sha1, 'a'));
  auto in = EspSa::create(keys(0x2000, EspCipher::Aes128Cbc, EspMac::Sha1, 'a'));
  REQUIRE(out.ok());
  REQUIRE(in.ok());
  auto pkt = echo_request({1, 2, 3});
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 70; ++i) sent.push_back(seal(**out, pkt));
  CHECK(tun::load_be32(sent[0].data() + 4) == 0);
  std::vector<uint8_t> buf(2048);
  uint8_t nh = 0;
  CHECK((*in)->open(sent[0], buf, &nh).ok());
  CHECK((*in)->open(sent[0], buf, &nh).error() == Errc::State);  // replay
  CHECK((*in)->open(sent[2], buf, &nh).ok());
  CHECK((*in)->open(sent[1], buf, &nh).ok());  // late but inside the window
  CHECK((*in)->open(sent[1], buf, &nh).error() == Errc::State);
  CHECK((*in)->open(sent[69], buf, &nh).ok());                   // a jump ahead
  CHECK((*in)->open(sent[3], buf, &nh).error() == Errc::State);  // 66 behind: out of the window
  CHECK((*in)->open(sent[10], buf, &nh).ok());                   // 59 behind: still in
  CHECK((*in)->replays() == 3);
  // newest(): only a packet above every one seen may move the tunnel to a new path.
  CHECK_FALSE((*in)->newest(sent[20]));
  CHECK_FALSE((*in)->newest(sent[69]));
}

TEST_CASE("esp: forged, truncated and foreign datagrams change nothing", "[esp]") {
  auto out = EspSa::create(keys(0x3000, EspCipher::Aes256Cbc, EspMac::Sha256, 'x'));
  auto in = EspSa::create(keys(0x3000, EspCipher::Aes256Cbc, EspMac::Sha256, 'x'));
  auto other = EspSa::create(keys(0x3000, EspCipher::Aes256Cbc, EspMac::Sha256, 'y'));
  REQUIRE(out.ok());
  REQUIRE(in.ok());
  REQUIRE(other.ok());
  auto pkt = echo_request({9, 9});
  auto good = seal(**out, pkt);
  std::vector<uint8_t> buf(2048);
  uint8_t nh = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x80;
    auto r = (*in)->open(bad, buf, &nh);
    CHECK_FALSE(r.ok());
  }
  auto cut = good;
  cut.resize(cut.size() - 1);
  CHECK_FALSE((*in)->open(cut, buf, &nh).ok());
  CHECK_FALSE((*in)->open(std::vector<uint8_t>(8, 0), buf, &nh).ok());
  CHECK((*in)->open(seal(**other, pkt), buf, &nh).error() == Errc::Denied);  // other keys
  // None of it moved the window: the genuine packet (seq 0) still opens once.
  CHECK((*in)->open(good, buf, &nh).ok());
  CHECK_FALSE((*in)->open(good, buf, &nh).ok());
  // A buffer too small for the payload is refused, not overrun.
  auto again = seal(**out, pkt);
  std::vector<uint8_t> tiny(8);
  CHECK_FALSE((*in)->open(again, tiny, &nh).ok());
}

TEST_CASE("esp: decapsulation takes IPv4 and IPv6 only, matching the header", "[esp]") {
  auto out = EspSa::create(keys(0x4000, EspCipher::Aes128Cbc, EspMac::Md5, 'q'));
  auto in = EspSa::create(keys(0x4000, EspCipher::Aes128Cbc, EspMac::Md5, 'q'));
  REQUIRE(out.ok());
  REQUIRE(in.ok());
  std::vector<uint8_t> buf(2048);
  auto v4 = echo_request({1});
  CHECK(esp_decapsulate(**in, seal(**out, v4), buf).ok());
  CHECK(esp_decapsulate(**in, seal(**out, v4, 5), buf).error() == Errc::UnknownType);  // LZO
  CHECK(esp_decapsulate(**in, seal(**out, v4, kNextIpv6), buf).error() == Errc::Malformed);
}

TEST_CASE("esp: sealing in place leaves the packet where the tunnel loop reads it", "[esp]") {
  auto out = EspSa::create(keys(0x5000, EspCipher::Aes128Cbc, EspMac::Sha1, 'p'));
  auto in = EspSa::create(keys(0x5000, EspCipher::Aes128Cbc, EspMac::Sha1, 'p'));
  REQUIRE(out.ok());
  REQUIRE(in.ok());
  auto pkt = echo_request(std::vector<uint8_t>(100, 7));
  std::vector<uint8_t> buf(kEspHeadroom + pkt.size() + kEspMaxTrailer);
  std::copy(pkt.begin(), pkt.end(), buf.begin() + kEspHeadroom);
  auto n = (*out)->seal_in_place(buf, pkt.size(), kNextIpv4);
  REQUIRE(n.ok());
  std::vector<uint8_t> plain(*n);
  uint8_t nh = 0;
  auto m = (*in)->open(std::span<const uint8_t>(buf.data(), *n), plain, &nh);
  REQUIRE(m.ok());
  plain.resize(*m);
  CHECK(plain == pkt);
  // Without tail room it refuses rather than writing past the buffer.
  std::vector<uint8_t> tight(kEspHeadroom + pkt.size());
  CHECK_FALSE((*out)->seal_in_place(tight, pkt.size(), kNextIpv4).ok());
}

TEST_CASE("gp frames: parse, keepalive, bad magic, ethertype and version", "[gp][frame]") {
  auto pkt = echo_request({1, 2});
  std::vector<uint8_t> f(kFrameHeader + pkt.size());
  write_frame_header(f.data(), pkt);
  std::copy(pkt.begin(), pkt.end(), f.begin() + kFrameHeader);
  CHECK(tun::load_be32(f.data()) == 0x1a2b3c4d);
  CHECK(tun::load_be16(f.data() + 4) == 0x0800);
  CHECK(f[8] == 1);
  size_t used = 0;
  auto r = parse_frame(f, &used);
  REQUIRE(r.ok());
  CHECK(used == f.size());
  CHECK(std::vector<uint8_t>(r->packet.begin(), r->packet.end()) == pkt);
  uint8_t ka[kFrameHeader];
  write_keepalive(ka);
  auto k = parse_frame(ka, &used);
  REQUIRE(k.ok());
  CHECK(k->keepalive);
  CHECK(used == kFrameHeader);
  auto bad = f;
  bad[0] = 0;
  CHECK(parse_frame(bad, &used).error() == Errc::Malformed);
  bad = f;
  tun::store_be16(bad.data() + 4, 0x86dd);  // says IPv6, carries IPv4
  CHECK(parse_frame(bad, &used).error() == Errc::Malformed);
  bad = f;
  tun::store_be16(bad.data() + 4, 0x0806);  // ARP
  CHECK(parse_frame(bad, &used).error() == Errc::Malformed);
  CHECK(parse_frame(std::span<const uint8_t>(f.data(), f.size() - 1), &used).error() == Errc::Truncated);
  CHECK(parse_frame(std::span<const uint8_t>(f.data(), 10), &used).error() == Errc::Truncated);
}

TEST_CASE("gp magic ping: the echo reply from gw-address, checksums right", "[gp][frame]") {
  std::vector<uint8_t> magic(std::begin(kMagicPayload), std::end(kMagicPayload));
  auto ping = echo_request(magic);
  IpAddr gw = *parse_ip("192.0.2.1");
  CHECK(is_magic_ping(ping, gw));
  CHECK_FALSE(is_magic_ping(ping, *parse_ip("192.0.2.2")));
  CHECK_FALSE(is_magic_ping(echo_request({1, 2, 3}), gw));
  std::vector<uint8_t> reply(ping.size());
  size_t n = build_magic_reply(ping, gw, reply);
  REQUIRE(n == ping.size());
  CHECK(reply[20] == 0);  // echo reply
  CHECK(std::vector<uint8_t>(reply.begin() + 12, reply.begin() + 16) == std::vector<uint8_t>{192, 0, 2, 1});
  CHECK(std::vector<uint8_t>(reply.begin() + 16, reply.begin() + 20) == std::vector<uint8_t>{10, 0, 0, 5});
  CHECK(std::memcmp(reply.data() + 28, kMagicPayload, 16) == 0);
  CHECK(static_cast<uint16_t>(~tun::csum_add(0, std::span<const uint8_t>(reply.data(), 20))) == 0);
  CHECK(static_cast<uint16_t>(~tun::csum_add(0, std::span<const uint8_t>(reply.data() + 20, n - 20))) == 0);
  // A lying total length is not a ping.
  auto liar = ping;
  tun::store_be16(liar.data() + 2, 2000);
  CHECK(build_magic_reply(liar, gw, reply) == 0);
}

namespace {

std::string str(const std::vector<uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

}  // namespace

TEST_CASE("esp channel: a new port is checked, and its answers wait for its socket", "[esp]") {
  auto out = EspSa::create(keys(0x4000, EspCipher::Aes128Cbc, EspMac::Sha1, 'q'));
  auto in = EspSa::create(keys(0x4000, EspCipher::Aes128Cbc, EspMac::Sha1, 'q'));
  REQUIRE(out.ok());
  REQUIRE(in.ok());
  std::shared_ptr<EspSa> sa(std::move(*in));
  testing::UdpPair a, b;
  EspChannel ch(std::move(a.server), sa, "", "ESP test");
  auto pkt = echo_request({7, 7, 7});
  auto p1 = seal(**out, pkt);
  ::send(a.client.get(), p1.data(), p1.size(), 0);
  std::vector<uint8_t> buf(2048);
  auto n = ch.recv(buf);
  REQUIRE(n.ok());
  CHECK(*n == pkt.size());

  // From a new port: a forgery and a replay of the live path's packet are refused.
  auto forged = seal(**out, pkt);
  forged.back() ^= 1;
  CHECK_FALSE(ch.check_new_path(str(forged), buf).ok());
  CHECK_FALSE(ch.check_new_path(str(p1), buf).ok());
  // An authentic new packet passes with its payload ...
  auto p2 = seal(**out, pkt);
  auto moved = ch.check_new_path(str(p2), buf);
  REQUIRE(moved.ok());
  CHECK(*moved == pkt.size());
  // ... and the answer waits for the new port's socket rather than going the old way.
  std::vector<uint8_t> reply = {'r', 'e', 'p', 'l', 'y'};
  CHECK(ch.send(reply));
  ch.flush();
  CHECK(a.client_got().empty());
  ch.move_to(std::move(b.server));
  auto got = b.client_got();
  REQUIRE(got.size() == 1);
  CHECK(got[0] == "reply");
  CHECK(a.client_got().empty());

  // A check that passes but brings no socket (main already counts the client there): main says
  // so, and what waited goes out on the current path at once.
  CHECK(ch.deadline() == tunnel::Clock::time_point::max());
  auto p4 = seal(**out, pkt);
  REQUIRE(ch.check_new_path(str(p4), buf).ok());
  CHECK(ch.deadline() <= tunnel::Clock::now() + EspChannel::kHoldFor);  // the loop wakes for it
  CHECK(ch.send(reply));
  ch.flush();
  CHECK(b.client_got().empty());
  ch.stay();
  CHECK(b.client_got().size() == 1);
  CHECK(ch.deadline() == tunnel::Clock::time_point::max());

  // Should main's answer never come: after kHoldFor what waited goes out on the current path.
  auto p3 = seal(**out, pkt);
  REQUIRE(ch.check_new_path(str(p3), buf).ok());
  CHECK(ch.send(reply));
  ch.flush();
  CHECK(b.client_got().empty());
  ::usleep(std::chrono::duration_cast<std::chrono::microseconds>(EspChannel::kHoldFor).count() + 100000);
  ch.flush();
  CHECK(b.client_got().size() == 1);
}
