#include <catch2/catch.hpp>

#include <vector>

#include "tests/unit/recording_sink.hpp"
#include "worker/anyconnect/auth_flow.hpp"
#include "worker/anyconnect/connect_reply.hpp"
#include "worker/anyconnect/cstp_frame.hpp"
#include "worker/anyconnect/cstp_session.hpp"

using namespace sslvpn;
using namespace sslvpn::cstp;
using namespace std::chrono_literals;

namespace {

using testing::RecordingSink;

std::vector<uint8_t> frame(PacketType t, std::vector<uint8_t> payload) {
  std::vector<uint8_t> out(kHeaderSize + payload.size());
  write_header(std::span<uint8_t, kHeaderSize>(out.data(), kHeaderSize), t,
               static_cast<uint16_t>(payload.size()));
  std::copy(payload.begin(), payload.end(), out.begin() + kHeaderSize);
  return out;
}

// A minimal IPv4 header with the given source address.
std::vector<uint8_t> ipv4_from(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  std::vector<uint8_t> p(28, 0);
  p[0] = 0x45;
  p[12] = a, p[13] = b, p[14] = c, p[15] = d;
  return p;
}

SessionSettings settings() {
  SessionSettings s;
  s.dpd_s = 10;
  s.ipv4 = *parse_ip("10.0.0.5");
  s.ipv6 = parse_ip_net("fd00::5/128");
  return s;
}

}  // namespace

TEST_CASE("cstp: frame parsing is strict about magic and lengths", "[cstp][parser]") {
  auto f = frame(PacketType::Data, {1, 2, 3});
  size_t used = 0;
  auto r = parse_frame(f, &used);
  REQUIRE(r.ok());
  CHECK(r->type == PacketType::Data);
  CHECK(r->payload.size() == 3);
  CHECK(used == 11);
  const uint8_t bad_magic[] = {'S', 'T', 'G', 1, 0, 0, 0, 0};
  CHECK(parse_frame(bad_magic, &used).error() == Errc::Malformed);
  const uint8_t bad_reserved[] = {'S', 'T', 'F', 1, 0, 0, 0, 1};
  CHECK(parse_frame(bad_reserved, &used).error() == Errc::Malformed);
  const uint8_t too_long[] = {'S', 'T', 'F', 1, 0x05, 0xdc, 0, 0};
  CHECK(parse_frame(too_long, &used).error() == Errc::Truncated);
  CHECK(parse_frame(std::span<const uint8_t>(f.data(), 7), &used).error() == Errc::Truncated);
}

TEST_CASE("cstp: data goes to TUN only from the client's own addresses", "[cstp][session]") {
  auto t0 = Clock::time_point{};
  CstpSession s(settings(), t0);
  RecordingSink sink;
  s.on_stream_record(frame(PacketType::Data, ipv4_from(10, 0, 0, 5)), t0, sink);
  s.on_stream_record(frame(PacketType::Data, ipv4_from(10, 0, 0, 6)), t0, sink);  // spoofed
  std::vector<uint8_t> v6(40, 0);
  v6[0] = 0x60;
  v6[8] = 0xfd;
  v6[23] = 5;
  s.on_stream_record(frame(PacketType::Data, v6), t0, sink);
  s.on_stream_record(frame(PacketType::Data, {0x00, 1, 2}), t0, sink);  // not IP
  CHECK(sink.tun.size() == 2);
  CHECK(s.dropped() == 2);
  CHECK(s.bytes_in() == 28 + 40);
  CHECK_FALSE(s.ended());
  // Two frames in one record are accepted.
  auto two = frame(PacketType::Keepalive, {});
  auto d = frame(PacketType::Data, ipv4_from(10, 0, 0, 5));
  two.insert(two.end(), d.begin(), d.end());
  s.on_stream_record(two, t0, sink);
  CHECK(sink.tun.size() == 3);
}

TEST_CASE("cstp: DPD requests are echoed with their payload (MTU probes)", "[cstp][session]") {
  auto t0 = Clock::time_point{};
  CstpSession s(settings(), t0);
  RecordingSink sink;
  std::vector<uint8_t> probe(1200, 0xab);
  s.on_stream_record(frame(PacketType::DpdRequest, probe), t0, sink);
  REQUIRE(sink.client.size() == 1);
  CHECK(sink.client[0] == frame(PacketType::DpdResponse, probe));
}

TEST_CASE("cstp: DPD probes a silent client, then declares it dead", "[cstp][session][timers]") {
  auto t0 = Clock::time_point{};
  CstpSession s(settings(), t0);
  RecordingSink sink;
  s.on_tick(t0 + 9s, sink);
  CHECK(sink.client.empty());
  CHECK(s.next_deadline() == t0 + 10s);
  s.on_tick(t0 + 10s, sink);
  REQUIRE(sink.client.size() == 1);
  CHECK(sink.client[0] == frame(PacketType::DpdRequest, {}));
  s.on_tick(t0 + 15s, sink);
  CHECK(sink.client.size() == 1);  // one probe per interval
  s.on_tick(t0 + 20s, sink);
  CHECK(sink.client.size() == 2);
  // An answer resets the clock.
  s.on_stream_record(frame(PacketType::DpdResponse, {}), t0 + 21s, sink);
  s.on_tick(t0 + 40s, sink);
  CHECK_FALSE(s.ended());
  s.on_tick(t0 + 51s, sink);
  REQUIRE(s.ended());
  CHECK(s.end_reason() == ipc::SessionEnd::DPD_TIMEOUT);
}

TEST_CASE("cstp: idle and session timeouts", "[cstp][session][timers]") {
  auto t0 = Clock::time_point{};
  SessionSettings st = settings();
  st.dpd_s = 0;
  st.idle_timeout_s = 30;
  CstpSession idle(st, t0);
  RecordingSink sink;
  idle.on_stream_record(frame(PacketType::Keepalive, {}), t0 + 20s, sink);  // not data: does not count
  idle.on_tick(t0 + 29s, sink);
  CHECK_FALSE(idle.ended());
  uint8_t buf[kHeaderSize + 28] = {};
  idle.frame_stream(buf, 28, t0 + 29s);  // data to the client counts
  idle.on_tick(t0 + 58s, sink);
  CHECK_FALSE(idle.ended());
  idle.on_tick(t0 + 59s, sink);
  REQUIRE(idle.ended());
  CHECK(idle.end_reason() == ipc::SessionEnd::IDLE_TIMEOUT);

  st.idle_timeout_s = 0;
  st.session_limit_s = 100;
  CstpSession limited(st, t0);
  CHECK(limited.next_deadline() == t0 + 100s);
  limited.on_tick(t0 + 100s, sink);
  REQUIRE(limited.ended());
  CHECK(limited.end_reason() == ipc::SessionEnd::SESSION_TIMEOUT);
}

TEST_CASE("cstp: disconnect, garbage and unknown types", "[cstp][session]") {
  auto t0 = Clock::time_point{};
  RecordingSink sink;
  CstpSession bye(settings(), t0);
  bye.on_stream_record(frame(PacketType::Disconnect, {kDisconnectUserLogout}), t0, sink);
  REQUIRE(bye.ended());
  CHECK(bye.end_reason() == ipc::SessionEnd::USER_DISCONNECT);

  CstpSession junk(settings(), t0);
  const uint8_t garbage[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  junk.on_stream_record(garbage, t0, sink);
  REQUIRE(junk.ended());
  CHECK(junk.end_reason() == ipc::SessionEnd::ERROR);

  CstpSession unknown(settings(), t0);
  unknown.on_stream_record(frame(static_cast<PacketType>(0x42), {1}), t0, sink);
  CHECK_FALSE(unknown.ended());
  CHECK(unknown.dropped() == 1);

  CstpSession term(settings(), t0);
  term.terminate(ipc::SessionEnd::SERVER_DISCONNECT, true, sink);
  CHECK(term.ended());
  CHECK(sink.client.back() == frame(PacketType::Disconnect, {kDisconnectUserLogout}));
}

TEST_CASE("cstp: frame_data frames in place", "[cstp][session]") {
  CstpSession s(settings(), Clock::time_point{});
  std::vector<uint8_t> buf(kHeaderSize + 100, 0x77);
  auto f = s.frame_stream(buf, 100, Clock::time_point{});
  CHECK(f.size() == 108);
  CHECK(f[0] == 'S');
  CHECK(f[4] == 0);
  CHECK(f[5] == 100);
  CHECK(f[8] == 0x77);
  CHECK(s.bytes_out() == 100);
}

TEST_CASE("connect: the reply carries what the client needs", "[cstp][connect]") {
  ipc::TunnelParams p;
  p.set_ipv4_address("10.0.0.5");
  p.set_ipv4_netmask("255.255.255.0");
  p.set_ipv6_address("fd00::5");
  p.set_ipv6_prefix(128);
  p.add_dns("10.0.0.1");
  p.add_split_dns("corp.example");
  p.add_route_include("192.168.0.0/16");
  p.add_route_exclude("fd01::/64");
  p.set_mtu(1390);
  p.set_base_mtu(1500);
  p.set_dpd(30);
  p.set_keepalive(20);
  p.set_default_domain("evil\r\nX-Injected: 1");
  std::string r = build_connect_reply(p, "sslvpnd test", DtlsReply{});
  CHECK(r.find("X-DTLS-") == std::string::npos);  // DTLS not offered: no DTLS headers
  p.mutable_dtls()->set_udp_port(4443);
  std::string with_dtls = build_connect_reply(p, "sslvpnd test", DtlsReply{true, "a1b2"});
  for (const char* h : {"X-DTLS-Port: 4443\r\n", "X-DTLS-App-ID: a1b2\r\n",
                        "X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n", "X-DTLS-DPD: 30\r\n"})
    CHECK(with_dtls.find(h) != std::string::npos);
  CHECK(offers_psk_negotiate("PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM"));
  CHECK(offers_psk_negotiate("AES256-SHA:PSK-NEGOTIATE"));
  CHECK_FALSE(offers_psk_negotiate("AES256-SHA:PSK-NEGOTIATED"));
  CHECK(r.rfind("HTTP/1.1 200 CONNECTED\r\n", 0) == 0);
  for (const char* h :
       {"X-CSTP-Version: 1\r\n", "X-CSTP-Address: 10.0.0.5\r\n", "X-CSTP-Netmask: 255.255.255.0\r\n",
        "X-CSTP-Address-IP6: fd00::5/128\r\n", "X-CSTP-DNS: 10.0.0.1\r\n",
        "X-CSTP-Split-DNS: corp.example\r\n", "X-CSTP-Split-Include: 192.168.0.0/255.255.0.0\r\n",
        "X-CSTP-Split-Exclude-IP6: fd01::/64\r\n", "X-CSTP-MTU: 1390\r\n", "X-CSTP-Base-MTU: 1500\r\n",
        "X-CSTP-DPD: 30\r\n", "X-CSTP-Idle-Timeout: none\r\n", "X-CSTP-Client-Bypass-Protocol: false\r\n"})
    CHECK(r.find(h) != std::string::npos);
  CHECK(r.find("\r\nX-Injected") == std::string::npos);
  CHECK(r.find("X-CSTP-Rekey-Method: none\r\n") != std::string::npos);  // rekey_time 0
  CHECK(r.find("X-CSTP-Rekey-Time") == std::string::npos);
  p.set_rekey_time(172800);
  std::string rekey = build_connect_reply(p, "sslvpnd test", DtlsReply{true, "a1b2"});
  for (const char* h : {"X-CSTP-Rekey-Time: 172800\r\n", "X-CSTP-Rekey-Method: new-tunnel\r\n",
                        "X-DTLS-Rekey-Time: 172810\r\n"})
    CHECK(rekey.find(h) != std::string::npos);
  ReplyChoices in_place;
  in_place.rekey_in_place = true;
  in_place.compression = {"oc-lz4", "lzs"};
  in_place.banner = "Welcome\r\nX-Injected: 2";
  std::string ssl = build_connect_reply(p, "sslvpnd test", DtlsReply{true, "a1b2"}, in_place);
  for (const char* h : {"X-CSTP-Rekey-Method: ssl\r\n", "X-CSTP-Content-Encoding: oc-lz4\r\n",
                        "X-DTLS-Content-Encoding: lzs\r\n"})
    CHECK(ssl.find(h) != std::string::npos);
  CHECK(ssl.find("X-DTLS-Rekey-Method") == std::string::npos);  // the client reconnects DTLS itself
  CHECK(ssl.find("X-CSTP-Banner: Welcome  X-Injected: 2\r\n") != std::string::npos);  // one line
  CHECK(r.find("X-CSTP-Banner") == std::string::npos);                                // none configured
  CHECK(r.size() >= 4);
  CHECK(r.substr(r.size() - 4) == "\r\n\r\n");
}

TEST_CASE("connect: cookies and the request headers", "[cstp][connect]") {
  CHECK(cookie_value("webvpn=abc", "webvpn").value() == "abc");
  CHECK(cookie_value("openconnect_strapkey=x; webvpn=def; b=1", "webvpn").value() == "def");
  CHECK_FALSE(cookie_value("webvpnc=abc", "webvpn").has_value());
  CHECK_FALSE(cookie_value("", "webvpn").has_value());

  http::Request req;
  req.method = "CONNECT";
  req.target = "/CSCOSSLC/tunnel";
  std::string good(64, 'a');
  req.headers = {{"cookie", "webvpn=" + good},  {"x-cstp-address", "10.0.0.9"},
                 {"x-cstp-address", "fd00::9"}, {"x-cstp-base-mtu", "1400"},
                 {"x-cstp-mtu", "1300"},        {"x-cstp-full-ipv6-capability", "true"}};
  auto r = anyconnect::parse_connect_request(req);
  REQUIRE(r.has_value());
  CHECK(r->cookie() == good);
  CHECK(r->wanted_ipv4() == "10.0.0.9");
  CHECK(r->wanted_ipv6() == "fd00::9");
  CHECK(r->base_mtu() == 1400);
  CHECK(r->client_mtu() == 1300);
  CHECK(r->ipv6());
  CHECK_FALSE(r->mobile());
  req.headers.push_back({"x-anyconnect-identifier-devicetype", "Pixel"});
  CHECK(anyconnect::parse_connect_request(req)->mobile());
  req.headers[0].value = "webvpn=" + std::string(63, 'a');
  CHECK_FALSE(anyconnect::parse_connect_request(req).has_value());
  req.headers[0].value = "webvpn=" + std::string(64, 'G');
  CHECK_FALSE(anyconnect::parse_connect_request(req).has_value());
}

TEST_CASE("cstp: DTLS records, DPD echo on DTLS, channel choice", "[cstp][dtls]") {
  auto t0 = Clock::time_point{};
  CstpSession s(settings(), t0);
  RecordingSink sink;
  CHECK_FALSE(s.datagram_up());
  s.datagram_established(t0);
  CHECK(s.datagram_up());
  std::vector<uint8_t> rec = {0x00};
  auto pkt = ipv4_from(10, 0, 0, 5);
  rec.insert(rec.end(), pkt.begin(), pkt.end());
  s.on_datagram(rec, t0, sink);
  REQUIRE(sink.tun.size() == 1);
  CHECK(sink.tun[0] == pkt);
  std::vector<uint8_t> probe = {0x03};
  probe.resize(1000, 0x5a);
  s.on_datagram(probe, t0, sink);
  REQUIRE(sink.dtls.size() == 1);  // the MTU probe comes back, whole, on DTLS
  CHECK(sink.dtls[0][0] == 0x04);
  CHECK(std::equal(sink.dtls[0].begin() + 1, sink.dtls[0].end(), probe.begin() + 1, probe.end()));
  CHECK(sink.client.empty());
  // Data over CSTP means the client's DTLS is down; DTLS data brings it back.
  s.on_stream_record(frame(PacketType::Data, pkt), t0, sink);
  CHECK_FALSE(s.datagram_up());
  s.on_datagram(rec, t0, sink);
  CHECK(s.datagram_up());
  // Silence on DTLS for three DPD intervals takes it down while CSTP stays.
  s.on_stream_record(frame(PacketType::Keepalive, {}), t0 + 29s, sink);
  s.on_tick(t0 + 30s, sink);
  CHECK_FALSE(s.datagram_up());
  CHECK_FALSE(s.ended());
  std::vector<uint8_t> buf(kHeaderSize + 28, 0);
  auto f = s.frame_datagram(buf, 28, t0 + 30s);
  CHECK(f.size() == 29);
  CHECK(f[0] == 0x00);
}

TEST_CASE("cstp: switch-to-tcp-timeout sets how long DTLS may be silent", "[cstp][dtls][timers]") {
  auto t0 = Clock::time_point{};
  SessionSettings st = settings();
  st.dtls_silence_s = 4;  // dpd is 10: the default would be 30 s
  CstpSession s(st, t0);
  RecordingSink sink;
  s.datagram_established(t0);
  s.on_tick(t0 + 3s, sink);
  CHECK(s.datagram_up());
  CHECK(s.next_deadline() <= t0 + 4s);
  s.on_tick(t0 + 4s, sink);
  CHECK_FALSE(s.datagram_up());
  CHECK_FALSE(s.ended());
}

TEST_CASE("cstp: an IPv6 route of everything goes as two halves", "[cstp]") {
  // A ::/0 split include would take the place of the client's own IPv6 default route (its
  // script replaces, then deletes it): ::/1 and 8000::/1 cover the same and win by length.
  ipc::TunnelParams p;
  p.set_ipv4_address("10.1.0.2");
  p.set_ipv4_netmask("255.255.255.0");
  p.set_ipv6_address("fd00::2");
  p.set_ipv6_prefix(64);
  p.add_route_include("::/0");
  p.add_route_include("10.9.0.0/16");
  std::string h = build_connect_reply(p, "srv", DtlsReply{});
  CHECK(h.find("X-CSTP-Split-Include-IP6: ::/1\r\n") != std::string::npos);
  CHECK(h.find("X-CSTP-Split-Include-IP6: 8000::/1\r\n") != std::string::npos);
  CHECK(h.find("::/0") == std::string::npos);
  CHECK(h.find("X-CSTP-Split-Include: 10.9.0.0/255.255.0.0\r\n") != std::string::npos);
}
