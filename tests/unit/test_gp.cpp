#include <catch2/catch.hpp>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>
#include <vector>

#include "worker/gp/gp_flow.hpp"
#include "worker/gp/gp_messages.hpp"
#include "worker/gp/gp_session.hpp"
#include "worker/http/form.hpp"
#include "worker/http/router.hpp"
#include "worker/tun/inet_csum.hpp"

using namespace sslvpn;
using namespace sslvpn::gp;
using namespace std::chrono_literals;

namespace {

const std::string kCookie(64, 'a');

http::Request post(std::string target, std::string body) {
  http::Request r;
  r.method = "POST";
  r.target = std::move(target);
  r.headers.push_back({"host", "vpn.example:4443"});
  r.body = std::move(body);
  return r;
}

// The jnlp's <argument> values in order.
std::vector<std::string> jnlp_args(const std::string& xml) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = xml.find("<argument>", pos)) != std::string::npos) {
    size_t end = xml.find("</argument>", pos);
    out.push_back(xml.substr(pos + 10, end - pos - 10));
    pos = end;
  }
  return out;
}

bool well_formed(const std::string& xml) {
  xmlDocPtr d = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr, XML_PARSE_NONET);
  if (d) xmlFreeDoc(d);
  return d != nullptr;
}

ipc::AuthReply secmod(ipc::AuthReply::Status st) {
  ipc::AuthReply r;
  r.set_status(st);
  if (st == ipc::AuthReply::SUCCESS) {
    r.set_cookie(kCookie);
    r.set_username("alice");
    r.set_group("staff");
  }
  return r;
}

}  // namespace

TEST_CASE("forms: decoding, limits and bad escapes", "[gp][form]") {
  auto f = http::parse_form("user=al%69ce&passwd=a+b%2Cc&&flag&user=second");
  REQUIRE(f.ok());
  CHECK(f->value("user") == "alice");  // the first of a repeated name
  CHECK(f->value("passwd") == "a b,c");
  CHECK(f->has("flag"));
  CHECK(f->value("absent").empty());
  CHECK(http::parse_form("a=%4").error() == Errc::Malformed);
  CHECK(http::parse_form("a=%zz").error() == Errc::Malformed);
  std::string many;
  for (int i = 0; i < 65; ++i) many += "k" + std::to_string(i) + "=v&";
  CHECK(http::parse_form(many).error() == Errc::Limit);
  CHECK(http::parse_form("a=" + std::string(20000, 'x')).error() == Errc::Limit);
  CHECK(http::query_of("/x?a=1") == "a=1");
  CHECK(http::path_of("/x?a=1") == "/x");
}

TEST_CASE("gp routes: the portal, the gateway and the tunnel GET; nothing else", "[gp][router]") {
  using http::Engine;
  CHECK(http::route_front("POST", "/global-protect/prelogin.esp?tmp=tmp&clientVer=4100", true).engine ==
        Engine::GlobalProtect);
  CHECK(http::route_front("POST", "/ssl-vpn/login.esp", true).engine == Engine::GlobalProtect);
  CHECK(http::route_front("GET", "/ssl-tunnel-connect.sslvpn?authcookie=x&user=y", true).engine ==
        Engine::GlobalProtect);
  CHECK(http::route_front("POST", "/ssl-vpn/login.esp", false).engine ==
        Engine::None);  // globalprotect = false
  CHECK(http::route_front("GET", "/ssl-vpn/login.esp", true).status == 405);
  CHECK(http::route_front("POST", "/ssl-vpn/other.esp", true).status == 404);
  CHECK(http::route_front("POST", "/", true).engine == Engine::AnyConnect);
}

TEST_CASE("gp cookie: our form only, and the fields it names", "[gp][cookie]") {
  auto f = http::parse_form("authcookie=" + kCookie +
                            "&user=alice&portal=P&domain=D&preferred-ip=10.0.0.9&computer=pc");
  REQUIRE(f.ok());
  auto c = cookie_from(*f);
  REQUIRE(c);
  CHECK(c->user == "alice");
  CHECK(c->preferred_ip == "10.0.0.9");
  CHECK(c->computer == "pc");
  auto form = [](std::string s) { return std::move(http::parse_form(s)).value(); };
  CHECK_FALSE(cookie_from(form("authcookie=short&user=alice")));
  CHECK_FALSE(cookie_from(form("authcookie=" + kCookie)));  // no user
  auto bad_ip = cookie_from(form("authcookie=" + kCookie + "&user=a&preferred-ip=x<y"));
  REQUIRE(bad_ip);
  CHECK(bad_ip->preferred_ip.empty());
}

TEST_CASE("gp messages: the jnlp arguments where the client reads them", "[gp][xml]") {
  LoginResult r;
  r.authcookie = kCookie;
  r.persistent = std::string(40, 'b');
  r.portal = "sslvpnd";
  r.user = "al<ice";
  r.domain = "staff";
  auto x = login_jnlp(r);
  CHECK(well_formed(x));
  auto a = jnlp_args(x);
  REQUIRE(a.size() == 21);
  CHECK(a[1] == kCookie);
  CHECK(a[2].size() == 40);
  CHECK(a[4] == "al&lt;ice");
  CHECK(a[12] == "tunnel");
  CHECK(a[14] == "4100");
  CHECK(a[15] == "(null)");  // no preferred IP
  CHECK(a[16] == "empty");
}

TEST_CASE("gp messages: getconfig with addresses, routes, DNS and the ESP keys", "[gp][xml]") {
  ipc::TunnelParams p;
  p.set_ipv4_address("10.0.0.5");
  p.set_ipv4_netmask("255.255.255.0");
  p.set_ipv6_address("fd00::5");
  p.set_ipv6_prefix(128);
  p.set_mtu(1400);
  p.add_dns("10.0.0.1");
  p.add_dns("fd00::1");
  p.set_default_domain("corp.example");
  p.add_route_include("192.168.0.0/16");
  p.add_route_include("fd01::/64");
  p.add_route_exclude("192.168.9.0/24");
  auto c2s = random_esp_keys(0x11223344, EspCipher::Aes128Cbc, EspMac::Sha1);
  auto s2c = random_esp_keys(0x55667788, EspCipher::Aes128Cbc, EspMac::Sha1);
  REQUIRE(c2s.ok());
  REQUIRE(s2c.ok());
  EspOffer offer{4501, &*c2s, &*s2c};
  auto x = getconfig_reply(p, "203.0.113.1", 3600, &offer);
  CHECK(well_formed(x));
  for (const char* want :
       {"<ip-address>10.0.0.5</ip-address>", "<netmask>255.255.255.0</netmask>",
        "<ip-address-v6>fd00::5</ip-address-v6>", "<mtu>1400</mtu>",
        "<ssl-tunnel-url>/ssl-tunnel-connect.sslvpn</ssl-tunnel-url>", "<dns><member>10.0.0.1</member></dns>",
        "<dns-v6><member>fd00::1</member></dns-v6>", "<dns-suffix><member>corp.example</member></dns-suffix>",
        "<access-routes><member>192.168.0.0/16</member></access-routes>",
        "<exclude-access-routes><member>192.168.9.0/24</member></exclude-access-routes>",
        "<timeout>3600</timeout>", "<gw-address>203.0.113.1</gw-address>", "<udp-port>4501</udp-port>",
        "<c2s-spi>0x11223344</c2s-spi>", "<s2c-spi>0x55667788</s2c-spi>", "<enc-algo>aes-128-cbc</enc-algo>",
        "<hmac-algo>sha1</hmac-algo>", "<ekey-c2s><bits>128</bits>", "<akey-c2s><bits>160</bits>"})
    CHECK(x.find(want) != std::string::npos);
  // openconnect 9.01 reads access-routes-v6 as exclusions: never sent.
  CHECK(x.find("access-routes-v6") == std::string::npos);
  // No include route: no access-routes element (the client then routes everything).
  p.clear_route_include();
  CHECK(getconfig_reply(p, "", 0, nullptr).find("<access-routes>") == std::string::npos);
  CHECK(getconfig_reply(p, "", 0, nullptr).find("<ipsec>") == std::string::npos);
}

TEST_CASE("gp flow: prelogin, portal login, its gateway login without sec-mod", "[gp][flow]") {
  GpFlow flow(GpSettings{});
  auto pre = post("/global-protect/prelogin.esp?tmp=tmp", "");
  auto s = flow.on_request(pre);
  CHECK(s.kind == Step::Kind::Reply);
  CHECK(s.reply.body.find("<status>Success</status>") != std::string::npos);
  auto login = post("/global-protect/getconfig.esp", "user=alice&passwd=secret&computer=pc");
  s = flow.on_request(login);
  REQUIRE(s.kind == Step::Kind::AskSecMod);
  CHECK(s.request.auth_init().username() == "alice");
  CHECK(s.request.auth_init().password() == "secret");
  CHECK(login.body.empty());  // the password does not stay in the request
  s = flow.on_secmod_reply(secmod(ipc::AuthReply::SUCCESS));
  REQUIRE(s.kind == Step::Kind::Reply);
  CHECK(s.reply.body.find("<entry name=\"vpn.example:4443\">") !=
        std::string::npos);  // as the client named us
  CHECK(s.reply.body.find("<portal-userauthcookie>" + kCookie) != std::string::npos);
  // The client re-posts to the gateway on the same connection: no second sec-mod round.
  auto gw = post("/ssl-vpn/login.esp", "user=alice&passwd=secret&portal-userauthcookie=" + kCookie);
  s = flow.on_request(gw);
  REQUIRE(s.kind == Step::Kind::Reply);
  CHECK(jnlp_args(s.reply.body).at(1) == kCookie);
  // ... but not for another user.
  auto other = post("/ssl-vpn/login.esp", "user=mallory&passwd=x");
  s = flow.on_request(other);
  CHECK(s.reply.body.find("status=\"error\"") != std::string::npos);
}

TEST_CASE("gp flow: a wrong password is 512, a second factor is a challenge", "[gp][flow]") {
  GpFlow flow(GpSettings{});
  auto login = post("/ssl-vpn/login.esp", "user=alice&passwd=bad");
  REQUIRE(flow.on_request(login).kind == Step::Kind::AskSecMod);
  auto s = flow.on_secmod_reply(secmod(ipc::AuthReply::RETRY));
  CHECK(s.reply.status == 512);
  login = post("/ssl-vpn/login.esp", "user=alice&passwd=good");
  REQUIRE(flow.on_request(login).kind == Step::Kind::AskSecMod);
  auto cont = secmod(ipc::AuthReply::CONTINUE);
  cont.set_context(std::string(64, 'c'));
  cont.mutable_form()->set_message("Enter your OTP code");
  auto* field = cont.mutable_form()->add_fields();
  field->set_name("secondary_password");
  field->set_kind(ipc::FormField::PASSWORD);
  s = flow.on_secmod_reply(cont);
  REQUIRE(s.kind == Step::Kind::Reply);
  CHECK(s.reply.body.find("<inputstr>" + std::string(64, 'c') + "</inputstr>") != std::string::npos);
  CHECK(s.reply.body.find("<respmsg>Enter your OTP code</respmsg>") != std::string::npos);
  auto answer = post("/ssl-vpn/login.esp", "user=alice&passwd=123456&inputStr=" + std::string(64, 'c'));
  s = flow.on_request(answer);
  REQUIRE(s.kind == Step::Kind::AskSecMod);
  CHECK(s.request.auth_continue().context() == std::string(64, 'c'));
  REQUIRE(s.request.auth_continue().answers_size() == 1);
  CHECK(s.request.auth_continue().answers(0).name() == "secondary_password");
  CHECK(s.request.auth_continue().answers(0).value() == "123456");
  s = flow.on_secmod_reply(secmod(ipc::AuthReply::DENIED));
  CHECK(s.reply.close);
  CHECK(flow.state() == GpFlow::State::Closed);
}

TEST_CASE("gp flow: gateway only, cookie requests, the tunnel GET, logout", "[gp][flow]") {
  GpSettings st;
  st.portal = false;
  GpFlow flow(st);
  auto pre = post("/global-protect/prelogin.esp", "");
  CHECK(flow.on_request(pre).reply.body.find("GlobalProtect portal does not exist") != std::string::npos);
  auto cfg =
      post("/ssl-vpn/getconfig.esp",
           "authcookie=" + kCookie + "&user=alice&preferred-ip=10.0.0.7&enc-algo=aes-128-cbc&hmac-algo=sha1");
  auto s = flow.on_request(cfg);
  REQUIRE(s.kind == Step::Kind::GetConfig);
  CHECK(s.session_request.cookie() == kCookie);
  CHECK(s.session_request.user() == "alice");
  CHECK(s.session_request.wanted_ipv4() == "10.0.0.7");
  CHECK(s.session_request.protocol() == ipc::GLOBALPROTECT);
  CHECK_FALSE(s.session_request.no_datagram());
  CHECK(s.enc_algos == "aes-128-cbc");
  GpFlow f2(st);
  auto bad = post("/ssl-vpn/getconfig.esp", "authcookie=nope&user=alice");
  CHECK(f2.on_request(bad).reply.body.find("Invalid authentication cookie") != std::string::npos);
  http::Request get;
  get.method = "GET";
  get.target = "/ssl-tunnel-connect.sslvpn?authcookie=" + kCookie + "&user=alice";
  GpFlow f3(st);
  s = f3.on_request(get);
  REQUIRE(s.kind == Step::Kind::Tunnel);
  CHECK(s.session_request.no_datagram());
  get.target = "/ssl-tunnel-connect.sslvpn?user=alice";
  GpFlow f4(st);
  CHECK(f4.on_request(get).reply.status == 502);
  GpFlow f5(st);
  auto out = post("/ssl-vpn/logout.esp", "authcookie=" + kCookie + "&user=alice&portal=P&computer=pc");
  s = f5.on_request(out);
  REQUIRE(s.kind == Step::Kind::Logout);
  CHECK(f5.on_logout_reply(true).reply.body.find("<user>alice</user>") != std::string::npos);
}

namespace {

struct Io : tunnel::TunnelIo {
  std::vector<std::vector<uint8_t>> tun, stream, dgram;
  std::vector<ipc::WorkerToMain> main;
  void to_tun(std::span<const uint8_t> p) override { tun.emplace_back(p.begin(), p.end()); }
  void to_stream(std::span<const uint8_t> f) override { stream.emplace_back(f.begin(), f.end()); }
  void to_datagram(std::span<const uint8_t> r) override { dgram.emplace_back(r.begin(), r.end()); }
  void to_main(const ipc::WorkerToMain& m) override { main.push_back(m); }
};

std::vector<uint8_t> bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

std::vector<uint8_t> ipv4(const char* src, const char* dst, std::vector<uint8_t> payload = {}) {
  std::vector<uint8_t> p(28 + payload.size(), 0);
  p[0] = 0x45;
  tun::store_be16(p.data() + 2, static_cast<uint16_t>(p.size()));
  p[9] = 1;
  auto s = parse_ip(src), d = parse_ip(dst);
  std::memcpy(p.data() + 12, s->b.data(), 4);
  std::memcpy(p.data() + 16, d->b.data(), 4);
  p[20] = 8;
  std::copy(payload.begin(), payload.end(), p.begin() + 28);
  return p;
}

GpSessionSettings session_settings() {
  GpSessionSettings s;
  s.ipv4 = *parse_ip("10.0.0.5");
  s.gw = *parse_ip("203.0.113.1");
  s.dead_s = 30;
  s.authcookie = kCookie;
  s.user = "alice";
  return s;
}

std::unique_ptr<EspSa> sa(uint32_t spi) {
  EspKeyMaterial k;
  k.spi = spi;
  k.enc_key = SecretBytes(std::string(16, 'e'));
  k.mac_key = SecretBytes(std::string(20, 'm'));
  return std::move(EspSa::create(k)).value();
}

}  // namespace

TEST_CASE("gp session: HTTP before the tunnel, then START_TUNNEL and frames", "[gp][session]") {
  auto t0 = Clock::now();
  GpSession s(session_settings(), t0, sa(0x100), false);
  Io io;
  CHECK_FALSE(s.needs_stream());  // ESP may carry on without it
  s.on_stream_record(bytes("POST /ssl-vpn/hipreportcheck.esp HTTP/1.1\r\nContent-Length: 3\r\n\r\na=b"), t0,
                     io);
  REQUIRE(io.stream.size() == 1);
  std::string r(io.stream[0].begin(), io.stream[0].end());
  CHECK(r.find("<hip-report-needed>no</hip-report-needed>") != std::string::npos);
  // A packet from the TUN device has no path yet: dropped, not framed.
  std::vector<uint8_t> buf(kEspHeadroom + 64 + kEspMaxTrailer);
  CHECK(s.frame_stream(buf, 28, t0).empty());
  // The tunnel GET with another cookie is refused; with ours it starts the tunnel.
  s.on_stream_record(
      bytes("GET /ssl-tunnel-connect.sslvpn?authcookie=" + kCookie + "&user=alice HTTP/1.1\r\n\r\n"), t0, io);
  REQUIRE(io.stream.size() == 2);
  CHECK(io.stream[1] == bytes("START_TUNNEL"));
  CHECK(s.phase() == GpSession::Phase::Tunnel);
  CHECK(s.needs_stream());
  CHECK_FALSE(s.datagram_up());  // ESP is dropped once HTTPS carries data
  // Keepalives are echoed at once; data from the client's address goes to the TUN device.
  uint8_t ka[kFrameHeader];
  write_keepalive(ka);
  s.on_stream_record(ka, t0, io);
  REQUIRE(io.stream.size() == 3);
  CHECK(io.stream[2] == std::vector<uint8_t>(ka, ka + kFrameHeader));
  auto pkt = ipv4("10.0.0.5", "198.51.100.2");
  std::vector<uint8_t> f(kFrameHeader + pkt.size());
  write_frame_header(f.data(), pkt);
  std::copy(pkt.begin(), pkt.end(), f.begin() + kFrameHeader);
  s.on_stream_record(f, t0, io);
  REQUIRE(io.tun.size() == 1);
  CHECK(io.tun[0] == pkt);
  // A spoofed source is dropped.
  auto spoof = ipv4("10.0.0.6", "198.51.100.2");
  write_frame_header(f.data(), spoof);
  std::copy(spoof.begin(), spoof.end(), f.begin() + kFrameHeader);
  s.on_stream_record(f, t0, io);
  CHECK(io.tun.size() == 1);
  CHECK(s.dropped() >= 1);
  // Frames the other way: header before the packet, in place.
  std::copy(pkt.begin(), pkt.end(), buf.begin() + kEspHeadroom);
  auto out = s.frame_stream(buf, pkt.size(), t0);
  REQUIRE(out.size() == kFrameHeader + pkt.size());
  CHECK(tun::load_be32(out.data()) == kFrameMagic);
  // A magic ping on the HTTPS tunnel is answered there, framed.
  std::vector<uint8_t> magic(std::begin(kMagicPayload), std::end(kMagicPayload));
  auto probe = ipv4("10.0.0.5", "203.0.113.1", magic);
  std::vector<uint8_t> pf(kFrameHeader + probe.size());
  write_frame_header(pf.data(), probe);
  std::copy(probe.begin(), probe.end(), pf.begin() + kFrameHeader);
  size_t before = io.stream.size();
  s.on_stream_record(pf, t0, io);
  REQUIRE(io.stream.size() == before + 1);
  CHECK(io.stream.back()[kFrameHeader + 20] == 0);  // an echo reply, framed
  // Bad magic ends the tunnel, as it would end the client.
  f[0] = 0;
  s.on_stream_record(f, t0, io);
  CHECK(s.ended());
}

TEST_CASE("gp session: the magic ping over ESP, data both ways, dead peer", "[gp][session]") {
  auto t0 = Clock::now();
  GpSession s(session_settings(), t0, sa(0x200), false);
  auto client_in = sa(0x200);  // what the client decrypts our ESP with
  Io io;
  std::vector<uint8_t> magic(std::begin(kMagicPayload), std::end(kMagicPayload));
  s.on_datagram(ipv4("10.0.0.5", "203.0.113.1", magic), t0, io);
  REQUIRE(io.dgram.size() == 1);
  std::vector<uint8_t> plain(2048);
  uint8_t nh = 0;
  auto n = client_in->open(io.dgram[0], plain, &nh);
  REQUIRE(n.ok());
  CHECK(plain[20] == 0);  // echo reply, from gw-address
  CHECK(std::vector<uint8_t>(plain.begin() + 12, plain.begin() + 16) == std::vector<uint8_t>{203, 0, 113, 1});
  CHECK(io.tun.empty());  // the probe is answered, not forwarded
  CHECK(s.datagram_up());
  s.on_datagram(ipv4("10.0.0.5", "198.51.100.2"), t0, io);
  CHECK(io.tun.size() == 1);
  auto pkt = ipv4("198.51.100.2", "10.0.0.5");
  std::vector<uint8_t> buf(kEspHeadroom + 2048);
  std::copy(pkt.begin(), pkt.end(), buf.begin() + kEspHeadroom);
  auto sealed = s.frame_datagram(buf, pkt.size(), t0);
  n = client_in->open(sealed, plain, &nh);
  REQUIRE(n.ok());
  CHECK(std::vector<uint8_t>(plain.begin(), plain.begin() + *n) == pkt);
  // The stream closes (the client chose ESP): the tunnel lives on until ESP is silent too.
  s.stream_lost(t0);
  s.on_tick(t0 + 29s, io);
  CHECK_FALSE(s.ended());
  CHECK(s.next_deadline() <= t0 + 30s);
  s.on_tick(t0 + 31s, io);
  CHECK(s.ended());
  CHECK(s.end_reason() == ipc::SessionEnd::DPD_TIMEOUT);
}

TEST_CASE("gp session: HIP report to main; hostile HTTP closes the stream only", "[gp][session]") {
  auto t0 = Clock::now();
  auto st = session_settings();
  st.hip_report = true;
  GpSession s(st, t0, sa(0x300), false);
  Io io;
  s.on_stream_record(bytes("POST /ssl-vpn/hipreportcheck.esp HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), t0, io);
  CHECK(std::string(io.stream.at(0).begin(), io.stream.at(0).end()).find("<hip-report-needed>yes") !=
        std::string::npos);
  std::string body = "client-role=global-protect-full&report=%3Chip-report%3E%3C%2Fhip-report%3E";
  s.on_stream_record(bytes("POST /ssl-vpn/hipreport.esp HTTP/1.1\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body),
                     t0, io);
  REQUIRE(io.main.size() == 1);
  CHECK(io.main[0].hip_report().report() == "<hip-report></hip-report>");
  GpSession h(session_settings(), t0, sa(0x301), false);
  h.on_stream_record(bytes("BLAH\r\n\r\n"), t0, io);
  CHECK(h.stream_done());
  CHECK_FALSE(h.ended());  // ESP may still come up
  GpSession g(session_settings(), t0, sa(0x302), false);
  g.on_stream_record(bytes("GET /ssl-tunnel-connect.sslvpn?authcookie=" + std::string(64, 'b') +
                           "&user=alice HTTP/1.1\r\n\r\n"),
                     t0, io);
  CHECK(g.ended());  // someone else's cookie on this session's stream
}

TEST_CASE("gp flow: a wrong code starts the login over with the new code; no endless 512", "[gp][flow]") {
  GpFlow flow(GpSettings{});
  const std::string ctx1(64, 'c'), ctx2(64, 'd');
  auto login = post("/ssl-vpn/login.esp", "user=alice&passwd=good");
  REQUIRE(flow.on_request(login).kind == Step::Kind::AskSecMod);
  auto cont = secmod(ipc::AuthReply::CONTINUE);
  cont.set_context(ctx1);
  cont.mutable_form()->add_fields()->set_name("secondary_password");
  REQUIRE(flow.on_secmod_reply(cont).kind == Step::Kind::Reply);
  auto wrong = post("/ssl-vpn/login.esp", "user=alice&passwd=111111&inputStr=" + ctx1);
  REQUIRE(flow.on_request(wrong).kind == Step::Kind::AskSecMod);
  auto s = flow.on_secmod_reply(secmod(ipc::AuthReply::RETRY));
  CHECK(s.reply.status == 512);  // openconnect asks for the code again and re-posts the old challenge
  auto again = post("/ssl-vpn/login.esp", "user=alice&passwd=222222&inputStr=" + ctx1);
  s = flow.on_request(again);
  REQUIRE(s.kind == Step::Kind::AskSecMod);
  REQUIRE(s.request.has_auth_init());  // the login starts over with the password it gave
  CHECK(s.request.auth_init().password() == "good");
  cont.set_context(ctx2);
  s = flow.on_secmod_reply(cont);
  REQUIRE(s.kind == Step::Kind::AskSecMod);  // ... and the new code answers the new challenge
  CHECK(s.request.auth_continue().context() == ctx2);
  CHECK(s.request.auth_continue().answers(0).value() == "222222");
  s = flow.on_secmod_reply(secmod(ipc::AuthReply::SUCCESS));
  CHECK(jnlp_args(s.reply.body).at(1) == kCookie);
  CHECK(jnlp_args(s.reply.body).at(16) == "empty");  // openconnect logs this argument: no cookie in it

  // An answer on a connection that never saw the login (no password to start over): final.
  GpFlow other(GpSettings{});
  auto stale = post("/ssl-vpn/login.esp", "user=alice&passwd=333333&inputStr=" + ctx1);
  REQUIRE(other.on_request(stale).kind == Step::Kind::AskSecMod);
  s = other.on_secmod_reply(secmod(ipc::AuthReply::RETRY));
  CHECK(s.reply.status == 200);
  CHECK(s.reply.body.find("status=\"error\"") != std::string::npos);
  CHECK(s.reply.close);
}
