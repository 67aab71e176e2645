// OpenVPN's pure pieces: the packet layer, tls-auth/tls-crypt wrapping and replay, the
// key-method-2 messages, NCP, the PUSH_REPLY, the AEAD data channel and main's stateless
// handshake. The real openvpn client checks the same against the server in tests/e2e.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "main/udp/openvpn_stateless.hpp"
#include "worker/openvpn/auth_token.hpp"
#include "worker/openvpn/challenge.hpp"
#include "worker/openvpn/data_channel.hpp"
#include "worker/openvpn/key_method.hpp"
#include "worker/openvpn/push.hpp"
#include "worker/openvpn/tls_crypt_v2.hpp"
#include "worker/openvpn/wire.hpp"
#include "worker/openvpn/wrap.hpp"

using namespace sslvpn;
using namespace sslvpn::ovpn;

namespace {

std::string static_key_text() {
  std::string t = "#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n";
  for (int line = 0; line < 16; ++line) {
    for (int i = 0; i < 16; ++i) {
      char b[3];
      std::snprintf(b, sizeof b, "%02x", (line * 16 + i) * 7 & 0xff);
      t += b;
    }
    t += "\n";
  }
  return t + "-----END OpenVPN Static key V1-----\n";
}

std::string key() {
  auto k = parse_static_key(static_key_text());
  REQUIRE(k.ok());
  return std::string(k->view());
}

// The client's view of tls-crypt: it sends with key[1] and receives with key[0].
WrapKeys client_crypt_keys(std::string_view k) {
  WrapKeys w;
  w.mode = WrapMode::Crypt;
  w.send_cipher = SecretBytes(k.substr(128, 32));
  w.send_hmac = SecretBytes(k.substr(192, 32));
  w.recv_cipher = SecretBytes(k.substr(0, 32));
  w.recv_hmac = SecretBytes(k.substr(64, 32));
  return w;
}

ControlPacket reset(uint8_t fill) {
  ControlPacket p;
  p.op = op_byte(Op::HardResetClientV2, 0);
  p.sid.fill(fill);
  p.msg_id = 0;
  return p;
}

std::vector<uint8_t> v(std::string_view s) {
  return {s.begin(), s.end()};
}

}  // namespace

TEST_CASE("ovpn wire: control packets round-trip; ACK blocks are bounded") {
  ControlPacket p;
  p.op = op_byte(Op::ControlV1, 3);
  p.sid.fill(0x11);
  p.acks = {5, 7};
  p.ack_sid.fill(0x22);
  p.msg_id = 9;
  p.payload = v("hello");
  auto bytes = serialize_control(p);
  CHECK(bytes[0] == 0x23);
  auto q = parse_control(bytes);
  REQUIRE(q.ok());
  CHECK(q->opcode() == Op::ControlV1);
  CHECK(q->key_id() == 3);
  CHECK(q->acks == p.acks);
  CHECK(q->ack_sid == p.ack_sid);
  CHECK(q->msg_id == 9u);
  CHECK(q->payload == p.payload);
  // The client's first packet: 38 | sid | 00 | 00000000.
  auto r = serialize_control(reset(0xaa));
  CHECK(r.size() == 14);
  CHECK(r[0] == 0x38);
  // Every truncation fails cleanly.
  for (size_t n = 0; n < bytes.size() - 5; ++n) CHECK_FALSE(parse_control({bytes.data(), n}).ok());
  bytes[9] = 9;  // nine ACKs: more than openvpn ever sends
  CHECK(parse_control(bytes).error() == Errc::Malformed);
  // Data opcodes and key-method 1 are not control packets.
  CHECK_FALSE(parse_control(v("\x48\x00\x00\x00\x00\x00\x00\x00\x00\x00")).ok());
  CHECK_FALSE(parse_control(v("\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00")).ok());
  // ACK_V1 carries no message id and needs an ACK.
  ControlPacket a;
  a.op = op_byte(Op::AckV1, 0);
  a.acks = {1};
  auto ab = serialize_control(a);
  CHECK(ab.size() == 1 + 8 + 1 + 4 + 8);
  CHECK(parse_control(ab).ok());
}

TEST_CASE("ovpn static keys: openvpn's file format; anything else is refused") {
  auto k = parse_static_key(static_key_text());
  REQUIRE(k.ok());
  CHECK(k->size() == kStaticKeySize);
  CHECK(static_cast<uint8_t>(k->view()[1]) == 7);
  CHECK_FALSE(parse_static_key("not a key").ok());
  std::string t = static_key_text();
  t.erase(t.find("-----END") - 3, 2);  // one byte short
  CHECK_FALSE(parse_static_key(t).ok());
}

TEST_CASE("ovpn tls-crypt: the client's packets unwrap; tampering and replays are refused") {
  std::string k = key();
  ControlWrap client(client_crypt_keys(k), 1000);
  ControlWrap server(tls_crypt_keys(k), 2000);
  auto plain = serialize_control(reset(0x42));
  auto wire = client.wrap(plain);
  CHECK(wire.size() == plain.size() + wrap_overhead(WrapMode::Crypt));
  CHECK(std::memcmp(wire.data() + 9 + 40, plain.data() + 9, plain.size() - 9) != 0);  // encrypted
  auto got = server.unwrap(wire);
  REQUIRE(got.ok());
  CHECK(*got == plain);
  CHECK(server.unwrap(wire).error() == Errc::State);  // the same replay id again
  for (size_t i : {size_t{0} + 1, size_t{10}, wire.size() - 1}) {
    auto bad = client.wrap(plain);
    bad[i] ^= 1;
    CHECK(server.unwrap(bad).error() == Errc::Denied);
  }
  // The other direction: the server's packets open with the client's receive keys.
  auto back = server.wrap(plain);
  auto opened = client.unwrap(back);
  REQUIRE(opened.ok());
  CHECK(*opened == plain);
  // A packet wrapped for the wrong direction does not authenticate.
  CHECK(server.unwrap(server.wrap(plain)).error() == Errc::Denied);
  CHECK(server.unwrap(std::vector<uint8_t>(wire.begin(), wire.begin() + 40)).error() == Errc::Truncated);
}

TEST_CASE("ovpn tls-auth: key directions, HMAC-SHA1, replay window with time") {
  std::string k = key();
  ControlWrap client(tls_auth_keys(k, KeyDirection::Inverse), 50);
  ControlWrap server(tls_auth_keys(k, KeyDirection::Normal), 60);
  auto plain = serialize_control(reset(1));
  auto w1 = client.wrap(plain);
  auto w2 = client.wrap(plain);
  CHECK(w1.size() == plain.size() + 28);
  REQUIRE(server.unwrap(w2).ok());
  REQUIRE(server.unwrap(w1).ok());  // out of order within the window
  CHECK(server.unwrap(w1).error() == Errc::State);
  // Both sides without a direction use key[0] both ways.
  ControlWrap a(tls_auth_keys(k, KeyDirection::Bidirectional), 1),
      b(tls_auth_keys(k, KeyDirection::Bidirectional), 1);
  CHECK(b.unwrap(a.wrap(plain)).ok());
  // A client with the same direction as the server fails.
  ControlWrap wrong(tls_auth_keys(k, KeyDirection::Normal), 1);
  CHECK(server.unwrap(wrong.wrap(plain)).error() == Errc::Denied);
}

TEST_CASE("ovpn tls-auth with openvpn's --auth SHA224 to SHA512: the tag grows, digests must match") {
  std::string k = key();
  auto plain = serialize_control(reset(1));
  for (auto [digest, tag] :
       {std::pair{AuthDigest::Sha224, size_t{28}}, std::pair{AuthDigest::Sha256, size_t{32}},
        std::pair{AuthDigest::Sha384, size_t{48}}, std::pair{AuthDigest::Sha512, size_t{64}}}) {
    ControlWrap client(tls_auth_keys(k, KeyDirection::Inverse, digest), 50);
    ControlWrap server(tls_auth_keys(k, KeyDirection::Normal, digest), 60);
    auto w = client.wrap(plain);
    CHECK(w.size() == plain.size() + tag + 8);
    CHECK(wrap_overhead(WrapMode::Auth, digest) == tag + 8);
    auto back = server.unwrap(w);
    REQUIRE(back.ok());
    CHECK(*back == plain);
    ControlWrap sha1(tls_auth_keys(k, KeyDirection::Normal), 60);
    CHECK_FALSE(sha1.unwrap(w).ok());  // a server with another digest refuses it
  }
  CHECK(auth_digest_from_name("sha256") == AuthDigest::Sha256);
  CHECK(auth_digest_from_name("SHA384") == AuthDigest::Sha384);
  CHECK_FALSE(auth_digest_from_name("MD5"));
}

TEST_CASE("ovpn replay window: time never goes back; ids within a time slide over 64") {
  ReplayWindow w;
  CHECK_FALSE(w.accept(0, 10));
  CHECK(w.accept(1, 10));
  CHECK_FALSE(w.accept(1, 10));
  CHECK(w.accept(100, 10));
  CHECK_FALSE(w.accept(36, 10));  // 64 behind
  CHECK(w.accept(37, 10));
  CHECK_FALSE(w.accept(500, 9));  // an older time
  CHECK(w.accept(1, 11));         // a newer time starts over
}

TEST_CASE("ovpn key-method 2: the client's message parses; limits hold; ours is well formed") {
  std::string m(4, '\0');
  m.push_back(2);
  m.append(48, 'p');
  m.append(32, 'a');
  m.append(32, 'b');
  auto put = [&](std::string_view s) {
    size_t n = s.size() + 1;
    m.push_back(static_cast<char>(n >> 8));
    m.push_back(static_cast<char>(n));
    m.append(s);
    m.push_back('\0');
  };
  put("V4,dev-type tun,cipher AES-256-GCM,key-method 2,tls-client");
  put("alice");
  put("s3cret");
  put("IV_VER=2.6.14\nIV_PROTO=990\nIV_CIPHERS=AES-256-GCM:CHACHA20-POLY1305\nIV_MTU=1600\nbroken-line\n");
  auto km = parse_client_key_method(v(m));
  REQUIRE(km.ok());
  CHECK(km->username == "alice");
  CHECK(km->password.view() == "s3cret");
  CHECK(km->has_credentials);
  CHECK(km->iv_proto() == 990);
  CHECK((km->iv_proto() & kIvProtoTlsKeyExport) != 0);
  CHECK(km->peer("IV_VER") == "2.6.14");
  CHECK(km->pre_master[0] == 'p');
  CHECK(choose_cipher("AES-128-GCM:CHACHA20-POLY1305:AES-256-GCM", *km) == "CHACHA20-POLY1305");
  CHECK(choose_cipher("AES-128-GCM", *km).empty());
  for (size_t n = 0; n + 1 < m.size(); n += 7)
    (void)parse_client_key_method(v(std::string_view(m).substr(0, n)));
  // A string without its NUL, key-method 1, an oversized user name.
  std::string bad = m;
  bad[4] = 1;
  CHECK_FALSE(parse_client_key_method(v(bad)).ok());
  std::string big = m.substr(0, 4 + 1 + 112);
  put("");                                   // (keeps m valid for nothing else)
  big += std::string("\x00\x05", 2) + "ab";  // options of length 5 with 2 bytes: truncated
  CHECK(parse_client_key_method(v(big)).error() == Errc::Truncated);
  std::string huge = m.substr(0, 4 + 1 + 112);
  huge += std::string("\xff\xff", 2) + std::string(0xffff, 'x');
  CHECK(parse_client_key_method(v(huge)).error() == Errc::Limit);
  // Without IV_CIPHERS, IV_NCP=2 means AES-256-GCM:AES-128-GCM.
  ClientKeyMethod old;
  old.peer_info["IV_NCP"] = "2";
  CHECK(choose_cipher("CHACHA20-POLY1305:AES-128-GCM", old) == "AES-128-GCM");

  std::array<uint8_t, 32> r1{}, r2{};
  r1.fill(1);
  std::string mine = build_server_key_method(r1, r2, "V4,tls-server");
  CHECK(mine.size() == 4 + 1 + 64 + 2 + 14 + 6);
  CHECK(mine[4] == 2);
  CHECK(mine.substr(mine.size() - 6) == std::string(6, '\0'));
}

TEST_CASE("ovpn push: options from the tunnel's parameters; long replies are continued") {
  ipc::TunnelParams p;
  p.set_ipv4_address("10.8.0.2");
  p.set_ipv4_netmask("255.255.255.0");
  p.set_ipv4_local("10.8.0.1");
  p.set_ipv6_address("fd00::2");
  p.set_ipv6_prefix(64);
  p.set_ipv6_local("fd00::1");
  p.add_route_include("192.168.0.0/16");
  p.add_route_include("2001:db8::/32");
  p.add_route_exclude("192.168.5.0/24");
  p.add_route_exclude("2001:db8:5::/48");
  p.add_dns("10.8.0.1");
  p.add_dns("fd00::53");
  p.add_split_dns("corp.example");
  p.add_split_dns("lab.example");
  p.set_mtu(1400);
  PushSettings s;
  s.cipher = "AES-256-GCM";
  s.iv_proto = 990;
  s.client_sent_mtu = true;
  s.peer_id = 7;
  auto o = push_options(p, s);
  auto has = [&](const std::string& x) { return std::find(o.begin(), o.end(), x) != o.end(); };
  CHECK(has("topology subnet"));
  CHECK(has("route-gateway 10.8.0.1"));
  CHECK(has("ifconfig 10.8.0.2 255.255.255.0"));
  CHECK(has("ifconfig-ipv6 fd00::2/64 fd00::1"));
  CHECK(has("route 192.168.0.0 255.255.0.0"));
  CHECK(has("route-ipv6 2001:db8::/32"));
  CHECK(has("route 192.168.5.0 255.255.255.0 net_gateway"));
  CHECK(std::none_of(o.begin(), o.end(),
                     [](const std::string& x) {  // openvpn refuses route-ipv6 via net_gateway
                       return x.rfind("route-ipv6", 0) == 0 && x.find("net_gateway") != std::string::npos;
                     }));
  CHECK(has("dhcp-option DNS 10.8.0.1"));
  CHECK(has("dhcp-option DNS6 fd00::53"));
  CHECK(has("dhcp-option DOMAIN-SEARCH corp.example"));
  // openvpn 2.6's dns option too, for a client that announces it (IV_PROTO bit 6)
  CHECK(has("dns server 0 address 10.8.0.1"));
  CHECK(has("dns server 1 address fd00::53"));
  CHECK(has("dns search-domains corp.example lab.example"));
  CHECK(has("tun-mtu 1400"));
  CHECK(has("peer-id 7"));
  CHECK(has("cipher AES-256-GCM"));
  CHECK(has("protocol-flags cc-exit tls-ekm"));
  for (const auto& x : o) CHECK(x.rfind("rcvbuf", 0) != 0);  // only when asked for
  for (const auto& x : o) CHECK(x.find("redirect-gateway") == std::string::npos);
  // The pool's own network (IPv6 routes alone: main routes it for IPv4) is ifconfig's already.
  ipc::TunnelParams own = p;
  own.clear_route_include();
  own.add_route_include("10.8.0.0/24");
  own.add_route_include("::/0");
  auto oo = push_options(own, s);
  CHECK(std::none_of(oo.begin(), oo.end(),
                     [](const std::string& x) { return x.rfind("route 10.8.0.0", 0) == 0; }));
  CHECK(std::find(oo.begin(), oo.end(), "redirect-gateway def1 ipv6 !ipv4") != oo.end());
  // All of IPv4 alone (a connect script's redirect-gateway def1) is pushed as def1, which keeps
  // the route to the server outside the tunnel; one half alone is a plain route.
  ipc::TunnelParams halves = p;
  halves.clear_route_include();
  halves.add_route_include("fd00::/64");
  halves.add_route_include("0.0.0.0/1");
  halves.add_route_include("128.0.0.0/1");
  auto oh = push_options(halves, s);
  CHECK(std::find(oh.begin(), oh.end(), "redirect-gateway def1 !ipv4") == oh.end());
  CHECK(std::find(oh.begin(), oh.end(), "redirect-gateway def1") != oh.end());
  CHECK(std::none_of(oh.begin(), oh.end(),
                     [](const std::string& x) { return x.rfind("route 0.0.0.0", 0) == 0; }));
  halves.mutable_route_include()->RemoveLast();
  auto oh1 = push_options(halves, s);
  CHECK(std::find(oh1.begin(), oh1.end(), "route 0.0.0.0 128.0.0.0") != oh1.end());
  for (const auto& x : oh1) CHECK(x.find("redirect-gateway") == std::string::npos);
  // No routes: everything goes through the tunnel. An old client gets key-derivation.
  ipc::TunnelParams all = p;
  all.clear_route_include();
  s.iv_proto = 1u << 3;
  auto o2 = push_options(all, s);
  CHECK(std::find(o2.begin(), o2.end(), "redirect-gateway def1 ipv6") != o2.end());
  CHECK(std::find(o2.begin(), o2.end(), "key-derivation tls-ekm") != o2.end());
  for (const auto& x : o2) CHECK(x.rfind("peer-id", 0) != 0);  // no DATA_V2 support: no peer-id
  for (const auto& x : o2) CHECK(x.rfind("dns ", 0) != 0);     // nor the dns option (2.5 and older)
  // A 2.5 client (DATA_V2, no key export): PRF keys, so neither key-derivation nor protocol-flags
  s.iv_proto = 1u << 1;
  auto o3 = push_options(all, s);
  for (const auto& x : o3) CHECK(x.find("tls-ekm") == std::string::npos);
  for (const auto& x : o3) CHECK(x.rfind("protocol-flags", 0) != 0);
  CHECK(std::find(o3.begin(), o3.end(), "peer-id 7") != o3.end());
  s.rcvbuf = 1 << 20;
  auto o4 = push_options(all, s);
  CHECK(std::find(o4.begin(), o4.end(), "rcvbuf 1048576") != o4.end());

  auto one = push_reply_messages(o);
  REQUIRE(one.size() == 1);
  CHECK(one[0].rfind("PUSH_REPLY,", 0) == 0);
  std::vector<std::string> many(100, "route 10.1.2.0 255.255.255.0");
  auto msgs = push_reply_messages(many);
  REQUIRE(msgs.size() > 1);
  size_t routes = 0;
  for (size_t i = 0; i < msgs.size(); ++i) {
    CHECK(msgs[i].size() <= kMaxPushMessage);
    std::string tail = i + 1 < msgs.size() ? ",push-continuation 2" : ",push-continuation 1";
    CHECK(msgs[i].substr(msgs[i].size() - tail.size()) == tail);
    for (size_t at = 0; (at = msgs[i].find(",route ", at)) != std::string::npos; ++at) ++routes;
  }
  CHECK(routes == 100);
}

TEST_CASE("ovpn data channel: seal and open both ways, every cipher; replays and forgeries refused") {
  std::vector<uint8_t> km(kKeyMaterial);
  for (size_t i = 0; i < km.size(); ++i) km[i] = static_cast<uint8_t>(i * 13);
  // The client's keys are ours mirrored: it encrypts with key[0] (our decrypt key).
  std::vector<uint8_t> mirrored(km.begin() + 128, km.end());
  mirrored.insert(mirrored.end(), km.begin(), km.begin() + 128);
  for (auto c : {DataCipher::Aes128Gcm, DataCipher::Aes256Gcm, DataCipher::ChaCha20Poly1305}) {
    for (bool v2 : {true, false}) {
      auto server = DataChannel::create(c, km, 1, v2, 0x123456);
      auto client = DataChannel::create(c, mirrored, 1, v2, 0x123456);
      REQUIRE(server.ok());
      REQUIRE(client.ok());
      std::vector<uint8_t> buf(kDataV2Header + 100);
      size_t h = server->header_size();
      for (size_t i = 0; i < 100; ++i) buf[h + i] = static_cast<uint8_t>(i);
      auto sealed = server->seal(buf, 100);
      REQUIRE(sealed.ok());
      CHECK((*sealed)[0] == op_byte(v2 ? Op::DataV2 : Op::DataV1, 1));
      std::vector<uint8_t> pkt(sealed->begin(), sealed->end());
      std::vector<uint8_t> copy = pkt;
      auto opened = client->open(pkt);
      REQUIRE(opened.ok());
      REQUIRE(opened->size() == 100);
      CHECK((*opened)[99] == 99);
      CHECK(client->open(copy).error() == Errc::State);  // the same packet id again
      // Flip any byte: it no longer opens (the header is authenticated too).
      for (size_t at : {size_t{1}, h - 1, copy.size() - 1}) {
        std::vector<uint8_t> b(kDataV2Header + 100);
        std::copy(buf.begin(), buf.end(), b.begin());
        auto s2 = server->seal(b, 100);
        std::vector<uint8_t> t(s2->begin(), s2->end());
        t[at] ^= 0x80;
        CHECK_FALSE(client->open(t).ok());
      }
      // The wrong key id is not this key's packet.
      std::vector<uint8_t> b3(kDataV2Header + 10);
      auto s3 = server->seal(b3, 10);
      std::vector<uint8_t> t3(s3->begin(), s3->end());
      t3[0] = static_cast<uint8_t>((t3[0] & 0xf8) | 2);
      CHECK(client->open(t3).error() == Errc::State);
      CHECK_FALSE(client->open(std::span<uint8_t>(t3.data(), 5)).ok());
    }
  }
  CHECK(is_ping(ping_payload()));
  CHECK(parse_data_cipher("chacha20-poly1305") == DataCipher::ChaCha20Poly1305);
  CHECK_FALSE(parse_data_cipher("BF-CBC"));
}

TEST_CASE("ovpn stateless handshake: a reset gets a cookie; only the cookie starts a worker") {
  std::array<uint8_t, 32> secret{};
  secret.fill(9);
  std::string k = key();
  mainproc::udp::OvpnStateless st(secret, tls_crypt_keys(k));
  ControlWrap client(client_crypt_keys(k), 100);
  auto rst = client.wrap(serialize_control(reset(0x33)));
  uint64_t now = 1'000'000;
  auto d = st.on_datagram(rst, "198.51.100.7|40000", now);
  REQUIRE(d.kind == mainproc::udp::OvpnDecision::Kind::Reply);
  // The reply opens with the client's keys and acks its reset under a cookie session id.
  auto reply = client.unwrap(d.reply);
  REQUIRE(reply.ok());
  auto rp = parse_control(*reply);
  REQUIRE(rp.ok());
  CHECK(rp->opcode() == Op::HardResetServerV2);
  CHECK(rp->acks == std::vector<uint32_t>{0});
  CHECK(rp->ack_sid == reset(0x33).sid);
  CHECK(d.client_sid == reset(0x33).sid);  // main counts replies per reset (ResetReplies)
  // The same reset again (a retransmission) gets the same cookie: nothing was kept.
  auto again = st.on_datagram(client.wrap(serialize_control(reset(0x33))), "198.51.100.7|40000", now + 1);
  auto again_plain = client.unwrap(again.reply);
  REQUIRE(again_plain.ok());
  auto rp2 = parse_control(*again_plain);
  REQUIRE(rp2.ok());
  CHECK(rp2->sid == rp->sid);

  ControlPacket ack;
  ack.op = op_byte(Op::AckV1, 0);
  ack.sid = reset(0x33).sid;
  ack.acks = {0};
  ack.ack_sid = rp->sid;
  auto ok = st.on_datagram(client.wrap(serialize_control(ack)), "198.51.100.7|40000", now + 40);
  CHECK(ok.kind == mainproc::udp::OvpnDecision::Kind::Start);
  CHECK(ok.server_sid == rp->sid);
  // From another address or port, too late, or with a guessed cookie: nothing.
  CHECK(st.on_datagram(client.wrap(serialize_control(ack)), "198.51.100.8|40000", now).kind ==
        mainproc::udp::OvpnDecision::Kind::Drop);
  CHECK(st.on_datagram(client.wrap(serialize_control(ack)), "198.51.100.7|40001", now).kind ==
        mainproc::udp::OvpnDecision::Kind::Drop);
  CHECK(st.on_datagram(client.wrap(serialize_control(ack)), "198.51.100.7|40000", now + 300).kind ==
        mainproc::udp::OvpnDecision::Kind::Drop);
  ack.ack_sid.fill(0);
  CHECK(st.on_datagram(client.wrap(serialize_control(ack)), "198.51.100.7|40000", now).kind ==
        mainproc::udp::OvpnDecision::Kind::Drop);
  CHECK(st.bad_cookie() == 4);
  // Without the tls-crypt key: not even a reply.
  ControlWrap stranger(client_crypt_keys(std::string(256, 'x')), 1);
  CHECK(st.on_datagram(stranger.wrap(serialize_control(reset(1))), "203.0.113.1|1", now).kind ==
        mainproc::udp::OvpnDecision::Kind::Drop);
  CHECK(st.bad_hmac() == 1);
  // Garbage and data packets: dropped.
  CHECK(st.on_datagram(v("\x38"), "203.0.113.1|1", now).kind == mainproc::udp::OvpnDecision::Kind::Drop);
  CHECK(st.on_datagram(v("\x48\x00\x00\x01\x00\x00\x00\x01"), "203.0.113.1|1", now).kind ==
        mainproc::udp::OvpnDecision::Kind::Drop);
}

TEST_CASE("ovpn push: a /128 lease is pushed with its network's prefix (openvpn takes 64-124)") {
  ipc::TunnelParams p;
  p.set_ipv6_address("fd83:1::92:76f2");
  p.set_ipv6_prefix(128);
  p.set_ipv6_local("fd83:1::1");
  p.add_route_include("fd83:1::/64");
  PushSettings s;
  s.cipher = "AES-256-GCM";
  auto o = push_options(p, s);
  CHECK(std::find(o.begin(), o.end(), "ifconfig-ipv6 fd83:1::92:76f2/64 fd83:1::1") != o.end());
  p.clear_route_include();
  o = push_options(p, s);
  CHECK(std::find(o.begin(), o.end(), "ifconfig-ipv6 fd83:1::92:76f2/124 fd83:1::1") != o.end());
}

TEST_CASE("ovpn tls-crypt-v2: client keys wrap and unwrap; tampering and other server keys fail") {
  std::string server(kTlsCryptV2ServerKey, '\0');
  for (size_t i = 0; i < server.size(); ++i) server[i] = static_cast<char>(i * 3 + 1);
  std::string kc(kTlsCryptV2ClientKey, '\0');
  for (size_t i = 0; i < kc.size(); ++i) kc[i] = static_cast<char>(i * 5 + 2);
  std::vector<uint8_t> md = {kMetadataUser, 'h', 'i'};
  auto wkc = wrap_client_key(server, kc, md);
  REQUIRE(wkc.ok());
  CHECK(wkc->size() == 32 + 256 + 3 + 2);
  auto back = unwrap_client_key(server, *wkc);
  REQUIRE(back.ok());
  CHECK(back->kc.view() == kc);
  CHECK(back->metadata == md);
  auto bad = *wkc;
  bad[40] ^= 1;
  CHECK(unwrap_client_key(server, bad).error() == Errc::Denied);
  std::string other = server;
  other[70] ^= 1;  // the HMAC half
  CHECK(unwrap_client_key(other, *wkc).error() == Errc::Denied);
  auto cut = std::vector<uint8_t>(wkc->begin(), wkc->end() - 1);
  CHECK_FALSE(unwrap_client_key(server, cut).ok());
  CHECK(wrap_client_key(server, kc, std::vector<uint8_t>(kMaxMetadata + 1)).error() == Errc::Limit);
  // The file formats round-trip (openvpn's PEM names).
  auto spem = format_tls_crypt_v2_server_key(server);
  CHECK(spem.find("-----BEGIN OpenVPN tls-crypt-v2 server key-----") == 0);
  auto sk = parse_tls_crypt_v2_server_key(spem);
  REQUIRE(sk.ok());
  CHECK(sk->view() == server);
  auto cpem = format_tls_crypt_v2_client_key(kc, *wkc);
  auto ck = parse_tls_crypt_v2_client_key(cpem);
  REQUIRE(ck.ok());
  CHECK(ck->first.view() == kc);
  CHECK(ck->second == *wkc);
  CHECK_FALSE(parse_tls_crypt_v2_server_key(cpem).ok());
  // A packet with WKc appended splits at the length WKc ends with.
  std::vector<uint8_t> pkt = {1, 2, 3};
  pkt.insert(pkt.end(), wkc->begin(), wkc->end());
  auto parts = split_wkc(pkt);
  REQUIRE(parts.ok());
  CHECK(parts->first.size() == 3);
  CHECK(parts->second.size() == wkc->size());
  CHECK_FALSE(split_wkc(std::vector<uint8_t>(wkc->begin(), wkc->end())).ok());  // nothing before it
}

TEST_CASE("ovpn stateless handshake, tls-crypt-v2: the reset asks for the key again; WKC_V1 starts") {
  std::array<uint8_t, 32> secret{};
  std::string server(kTlsCryptV2ServerKey, '\x21');
  std::string kc(kTlsCryptV2ClientKey, '\0');
  for (size_t i = 0; i < kc.size(); ++i) kc[i] = static_cast<char>(i);
  auto wkc = wrap_client_key(server, kc, std::vector<uint8_t>{kMetadataUser, 'x'});
  REQUIRE(wkc.ok());
  mainproc::udp::OvpnStateless st(secret, {}, 60, server);
  ControlWrap client(client_crypt_keys(kc), 100, 0x0f000000);
  ControlPacket r = reset(0x44);
  r.op = op_byte(Op::HardResetClientV3, 0);
  auto wire = client.wrap(serialize_control(r));
  wire.insert(wire.end(), wkc->begin(), wkc->end());
  auto d = st.on_datagram(wire, "192.0.2.9|5000", 5000);
  REQUIRE(d.kind == mainproc::udp::OvpnDecision::Kind::Reply);
  auto reply = client.unwrap(d.reply);
  REQUIRE(reply.ok());
  auto rp = parse_control(*reply);
  REQUIRE(rp.ok());
  CHECK(rp->payload == early_negotiation_resend_wkc());
  // A 2.5 client (replay ids not from 0x0f000000: no early negotiation) cannot be served
  // without state: no answer.
  ControlWrap old_client(client_crypt_keys(kc), 100, 1);
  auto wire_old = old_client.wrap(serialize_control(r));
  wire_old.insert(wire_old.end(), wkc->begin(), wkc->end());
  CHECK(st.on_datagram(wire_old, "192.0.2.9|5000", 5000).kind == mainproc::udp::OvpnDecision::Kind::Drop);
  CHECK(st.old_v2_refused() == 1);
  // A plain v2 reset is not accepted by a tls-crypt-v2 server.
  CHECK(st.on_datagram(serialize_control(reset(1)), "192.0.2.9|5000", 5000).kind ==
        mainproc::udp::OvpnDecision::Kind::Drop);

  ControlPacket c;
  c.op = op_byte(Op::ControlWkcV1, 0);
  c.sid = r.sid;
  c.acks = {0};
  c.ack_sid = rp->sid;
  c.msg_id = 1;
  c.payload = {0x16, 0x03, 0x01};
  auto cw = client.wrap(serialize_control(c));
  cw.insert(cw.end(), wkc->begin(), wkc->end());
  auto s = st.on_datagram(cw, "192.0.2.9|5000", 5001);
  REQUIRE(s.kind == mainproc::udp::OvpnDecision::Kind::Start);
  CHECK(s.client_key == kc);
  CHECK(s.metadata == std::vector<uint8_t>{kMetadataUser, 'x'});
  // The worker, with Kc only, reads the same packet (the WKc is skipped).
  ControlWrap worker(tls_crypt_keys(kc), 200);
  auto got = worker.unwrap(cw);
  REQUIRE(got.ok());
  auto gp = parse_control(*got);
  REQUIRE(gp.ok());
  CHECK(gp->payload == c.payload);
  // A WKc from another server key: dropped, counted.
  std::string other(kTlsCryptV2ServerKey, '\x22');
  auto wkc2 = wrap_client_key(other, kc, std::vector<uint8_t>{kMetadataUser});
  auto cw2 = client.wrap(serialize_control(c));
  cw2.insert(cw2.end(), wkc2->begin(), wkc2->end());
  CHECK(st.on_datagram(cw2, "192.0.2.9|5000", 5001).kind == mainproc::udp::OvpnDecision::Kind::Drop);
  CHECK(st.bad_hmac() == 1);
}

TEST_CASE("ovpn stateless handshake, tls-crypt-v2 2.5 clients: a fresh, unreplayed reset starts a worker") {
  using mainproc::udp::OldClientResets;
  using mainproc::udp::OvpnDecision;
  using mainproc::udp::OvpnStateless;
  std::array<uint8_t, 32> secret{};
  std::string server(kTlsCryptV2ServerKey, '\x21');
  std::string kc(kTlsCryptV2ClientKey, '\x05');
  auto wkc = wrap_client_key(server, kc, std::vector<uint8_t>{kMetadataUser, 'o'});
  REQUIRE(wkc.ok());
  // The port's IPv4 and IPv6 listeners share one memory of old clients' resets.
  auto shared = std::make_shared<OldClientResets>();
  OvpnStateless st(secret, {}, 60, server, shared), st6(secret, {}, 60, server, shared);
  // old_reset SID TIME: a 2.5 client's reset (replay ids from 1) wrapped at TIME, with its WKc
  auto old_reset = [&](const SessionId& sid, uint32_t time) {
    ControlWrap c(client_crypt_keys(kc), time, 1);
    ControlPacket r = reset(0);
    r.sid = sid;
    r.op = op_byte(Op::HardResetClientV3, 0);
    auto w = c.wrap(serialize_control(r));
    w.insert(w.end(), wkc->begin(), wkc->end());
    return w;
  };
  auto sid = [](uint32_t n) {
    SessionId s{0xee};
    for (int b = 0; b < 4; ++b) s[static_cast<size_t>(4 + b)] = static_cast<uint8_t>(n >> (8 * b));
    return s;
  };
  auto a = old_reset(sid(1), 10000);
  auto d = st.on_datagram(a, "192.0.2.9|5000", 10001);
  REQUIRE(d.kind == OvpnDecision::Kind::Start);
  CHECK(d.from_reset);
  CHECK(d.client_sid == sid(1));
  CHECK(d.client_key == kc);
  CHECK(d.metadata == std::vector<uint8_t>{kMetadataUser, 'o'});
  // Main refused that start (say, max-clients): nothing was remembered, the client's repeated
  // reset may start one.
  REQUIRE(st.on_datagram(a, "192.0.2.9|5000", 10002).kind == OvpnDecision::Kind::Start);
  st.remember_reset(sid(1), 10002);
  // Once it started a worker, the same reset again, from another address or to the IPv6
  // listener (a replay), starts nothing for as long as it could pass the time check.
  CHECK(st.on_datagram(a, "198.51.100.7|4000", 10003).kind == OvpnDecision::Kind::Drop);
  CHECK(st6.on_datagram(a, "2001:db8::7|4000", 10003).kind == OvpnDecision::Kind::Drop);
  CHECK(st.on_datagram(a, "198.51.100.7|4000", 10000 + OldClientResets::kAge).kind ==
        OvpnDecision::Kind::Drop);
  CHECK(st.old_v2_replayed() == 2);
  CHECK(st6.old_v2_replayed() == 1);
  // ... and once it is stale, its time refuses it
  CHECK(st.on_datagram(a, "198.51.100.7|4000", 10001 + OldClientResets::kAge).kind ==
        OvpnDecision::Kind::Drop);
  CHECK(st.old_v2_refused() == 1);
  // A reset from a client whose clock is too far ahead: refused
  CHECK(st.on_datagram(old_reset(sid(2), 20000), "192.0.2.9|5001", 10002).kind == OvpnDecision::Kind::Drop);
  CHECK(st.old_v2_refused() == 2);
  // A reset with a bad HMAC (a bit flipped): dropped before anything else
  auto bad = old_reset(sid(3), 10003);
  bad[20] ^= 1;
  CHECK(st.on_datagram(bad, "192.0.2.11|5000", 10003).kind == OvpnDecision::Kind::Drop);
  CHECK(st.bad_hmac() == 1);

  // At most kPerSecond starts a second (a burst of that many); fresh distinct resets beyond are
  // dropped until tokens come back.
  auto burst = std::make_shared<OldClientResets>();
  OvpnStateless b(secret, {}, 60, server, burst);
  size_t started = 0;
  for (uint32_t i = 0; i < 50; ++i)
    started += b.on_datagram(old_reset(sid(100 + i), 30000), "192.0.2.12|1", 30000).kind ==
               OvpnDecision::Kind::Start;
  CHECK(started == static_cast<size_t>(OldClientResets::kPerSecond));
  CHECK(b.on_datagram(old_reset(sid(200), 30001), "192.0.2.12|2", 30001).kind == OvpnDecision::Kind::Start);
  // At most kMax ids are remembered: past that, no start until the oldest are forgotten.
  auto full = std::make_shared<OldClientResets>();
  for (uint32_t i = 0; i < OldClientResets::kMax; ++i) full->remember(sid(1000 + i), 40000);
  OvpnStateless f(secret, {}, 60, server, full);
  CHECK(f.on_datagram(old_reset(sid(9), 40100), "192.0.2.13|1", 40100).kind == OvpnDecision::Kind::Drop);
  uint64_t later = 40000 + 2 * OldClientResets::kAge + 1;
  CHECK(f.on_datagram(old_reset(sid(9), static_cast<uint32_t>(later)), "192.0.2.13|1", later).kind ==
        OvpnDecision::Kind::Start);
  CHECK(full->size() == 0);
}

TEST_CASE("ovpn compression framing: the stubs are stripped and added; compressed packets refused") {
  std::vector<uint8_t> ip = {0x45, 0, 0, 20};
  CHECK(unframe(CompFraming::None, ip)->size() == 4);
  CHECK(unframe(CompFraming::StubV2, ip)->size() == 4);  // v2: no byte before an IP packet
  std::vector<uint8_t> esc = {0x50, 0x00, 0x50, 0x01};
  auto e = unframe(CompFraming::StubV2, esc);
  REQUIRE(e);
  CHECK((*e)[0] == 0x50);
  std::vector<uint8_t> lz4 = {0x50, 0x01, 0xff};
  CHECK_FALSE(unframe(CompFraming::StubV2, lz4));
  std::vector<uint8_t> lzo = {0xfa, 0x45, 0x00};
  CHECK(unframe(CompFraming::LzoStub, lzo)->size() == 2);
  std::vector<uint8_t> lzo_c = {0x66, 0x45};
  CHECK_FALSE(unframe(CompFraming::LzoStub, lzo_c));
  uint8_t buf[8] = {};
  CHECK(frame_prefix(CompFraming::None, ip, buf + 4) == 0);
  CHECK(frame_prefix(CompFraming::StubV2, ip, buf + 4) == 0);
  CHECK(frame_prefix(CompFraming::LzoStub, ip, buf + 4) == 1);
  CHECK(buf[3] == 0xfa);
  std::vector<uint8_t> p50 = {0x50, 1};
  CHECK(frame_prefix(CompFraming::StubV2, p50, buf + 4) == 2);
  CHECK(buf[2] == 0x50);
  CHECK(buf[3] == 0x00);
}

TEST_CASE("ovpn challenges: static and dynamic answers parse; state ids round-trip; CRV1 syntax") {
  auto plain = parse_password_field("hunter2");
  CHECK(plain.kind == PasswordField::Kind::Plain);
  CHECK(plain.password.view() == "hunter2");
  auto st = parse_password_field("SCRV1:" + base64_encode("pw:1") + ":" + base64_encode("123456"));
  CHECK(st.kind == PasswordField::Kind::Static);
  CHECK(st.password.view() == "pw:1");
  CHECK(st.response.view() == "123456");
  // Not base64: a plain password that happens to start like one.
  CHECK(parse_password_field("SCRV1:%%%:%%%").kind == PasswordField::Kind::Plain);
  auto dy = parse_password_field("CRV1::abc.def::654321");
  CHECK(dy.kind == PasswordField::Kind::Dynamic);
  CHECK(dy.state_id == "abc.def");
  CHECK(dy.response.view() == "654321");
  CHECK(parse_password_field("CRV1::::x").kind == PasswordField::Kind::Plain);

  std::string id = make_state_id("0123abcdef", "secondary_password:x");
  CHECK(id.find(':') == std::string::npos);
  std::string ctx, field;
  REQUIRE(split_state_id(id, &ctx, &field));
  CHECK(ctx == "0123abcdef");
  CHECK(field == "secondary_password:x");
  CHECK_FALSE(split_state_id("nodot", &ctx, &field));
  CHECK_FALSE(split_state_id("a.b_z", &ctx, &field));
  CHECK_FALSE(split_state_id("a.b_4", &ctx, &field));

  std::string c = crv1_challenge(id, "otto", "Enter your OTP code", false);
  CHECK(c == "CRV1:R:" + id + ":" + base64_encode("otto") + ":Enter your OTP code");
  CHECK(crv1_challenge("s.f", "u", "a,b", true).find("CRV1:R,E:s.f:") == 0);
}

TEST_CASE("openvpn login tokens: made and checked with the shared secret", "[openvpn][token]") {
  std::string raw(ovpn::kAuthTokenKeyFile, '\0');
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(i * 7 + 1);
  std::string pem = ovpn::format_auth_token_secret(raw);
  CHECK(pem.find("-----BEGIN OpenVPN auth-token server key-----") != std::string::npos);
  auto key = ovpn::parse_auth_token_secret(pem);
  REQUIRE(key.ok());
  CHECK(key->view() == std::string_view(raw).substr(64, 32));  // the HMAC half, as openvpn's
  std::string t = ovpn::make_login_token(*key, "alice", "staff", 1700000000);
  REQUIRE(!t.empty());
  CHECK(t.find(',') == std::string::npos);  // safe in a PUSH_REPLY
  auto c = ovpn::check_login_token(*key, t, "alice");
  REQUIRE(c);
  CHECK(c->group == "staff");
  CHECK(c->issued == 1700000000u);
  CHECK_FALSE(ovpn::check_login_token(*key, t, "alicE"));  // another user's
  std::string other(ovpn::kAuthTokenKeyFile, 'x');
  auto key2 = ovpn::parse_auth_token_secret(ovpn::format_auth_token_secret(other));
  REQUIRE(key2.ok());
  CHECK_FALSE(ovpn::check_login_token(*key2, t, "alice"));  // another secret
  std::string flipped = t;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  CHECK_FALSE(ovpn::check_login_token(*key, flipped, "alice"));
  CHECK_FALSE(ovpn::check_login_token(*key, "", "alice"));
  CHECK_FALSE(ovpn::check_login_token(*key, "not base64 !!", "alice"));
  CHECK_FALSE(ovpn::check_login_token(*key, std::string(400, 'A'), "alice"));
  CHECK_FALSE(ovpn::parse_auth_token_secret("-----BEGIN OpenVPN tls-crypt-v2 server key-----\n").ok());
  // A group name too long to carry is left out, not cut.
  auto long_group =
      ovpn::check_login_token(*key, ovpn::make_login_token(*key, "bob", std::string(65, 'g'), 5), "bob");
  REQUIRE(long_group);
  CHECK(long_group->group.empty());
}
