// ocserv's included-http-headers (every answer carries the site's own headers) and
// custom-header (lines added to the CONNECT answer): configuration checks and what is sent.
#include <catch2/catch.hpp>

#include "common/config.hpp"
#include "common/header_lines.hpp"
#include "worker/anyconnect/connect_reply.hpp"
#include "worker/http/http_response.hpp"

using namespace sslvpn;

namespace {

const std::string kBase = "auth = \"plain[passwd=/dev/null]\"\nserver-cert = c\nserver-key = k\n";

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("http headers: ocserv's sample lines load, in order, quotes and all", "[http][config]") {
  std::vector<ConfigWarning> w;
  auto c = parse_config(
      kBase +
          "included-http-headers = Strict-Transport-Security: max-age=31536000 ; includeSubDomains\n"
          "included-http-headers = X-Frame-Options: deny\n"
          "included-http-headers = Clear-Site-Data: \"cache\",\"cookies\",\"storage\"\n"
          "custom-header = \"X-My-Header: hi there\"\n",
      "t", &w);
  REQUIRE(c.included_http_headers.size() == 3);
  CHECK(c.included_http_headers[0] == "Strict-Transport-Security: max-age=31536000 ; includeSubDomains");
  CHECK(c.included_http_headers[2] == "Clear-Site-Data: \"cache\",\"cookies\",\"storage\"");
  REQUIRE(c.custom_headers.size() == 1);
  CHECK(c.custom_headers[0] == "X-My-Header: hi there");
  for (const auto& x : w) CHECK(x.text.find("http-headers") == std::string::npos);  // no "ignored"
}

TEST_CASE("http headers: a line that is not one header is left out with a warning", "[http][config]") {
  // ocserv writes them as they are; sslvpnd loads the file, leaves the line out and says why.
  auto left_out = [](const std::string& line, const std::string& why) {
    std::vector<ConfigWarning> w;
    Config c = parse_config(kBase + line + "\n", "t", &w);
    INFO(line);
    CHECK(c.included_http_headers.empty());
    CHECK(c.custom_headers.empty());
    REQUIRE(w.size() == 1);
    CHECK(w[0].text.find("is left out: ") != std::string::npos);
    CHECK(w[0].text.find(why) != std::string::npos);
    for (char ch : w[0].text) CHECK(static_cast<unsigned char>(ch) >= 0x20);  // nothing raw in the log
  };
  left_out("included-http-headers = no colon here", "no name before ':'");
  left_out("included-http-headers = : empty name", "no name before ':'");
  left_out("included-http-headers = Bad Name: x", "header name cannot have");
  left_out(
      "custom-header = X-A: a\x01"
      "b",
      "control character");
  left_out("custom-header = X-Long: " + std::string(1100, 'a'), "1024");
  // Names that frame or mean something in the code's own answers.
  left_out("included-http-headers = transfer-encoding: chunked", "'Transfer-Encoding' is the server's own");
  left_out("included-http-headers = Content-Length: 0", "server's own");
  left_out("included-http-headers = Connection: keep-alive", "server's own");
  left_out("included-http-headers = Set-Cookie: a=b", "server's own");
  left_out("custom-header = X-CSTP-MTU: 1200", "'X-CSTP-MTU' is the server's own");
  left_out("custom-header = x-dtls-port: 1", "X-DTLS- headers");
  left_out("custom-header = X-DTLS12-CipherSuite: x", "X-DTLS- headers");
  std::string many;
  for (int i = 0; i < 65; ++i) many += "included-http-headers = X-H" + std::to_string(i) + ": v\n";
  CHECK_THROWS_WITH(parse_config(kBase + many, "t", nullptr), Catch::Contains("too many headers"));
}

TEST_CASE("http headers: what a line may be", "[http][config]") {
  CHECK_FALSE(header_line_error("X-Note: a\tb \xc3\xa9", HeaderUse::Answer));  // tab, obs-text
  CHECK_FALSE(header_line_error("X-CSTP-Smartcard-Removal-Disconnect: false", HeaderUse::ConnectAnswer));
  CHECK_FALSE(header_line_error("X-CSTP-MTU: 1200", HeaderUse::Answer));  // only the CONNECT answer has it
  CHECK(header_line_error("X-Note: a\x7f", HeaderUse::Answer));
  CHECK(header_line_error("X Note: a", HeaderUse::Answer));
  CHECK(header_named("cache-control: no-store", "Cache-Control"));
  CHECK_FALSE(header_named("Cache-Controls: x", "Cache-Control"));
  CHECK_FALSE(header_named("no colon", "no colon"));
}

TEST_CASE("http headers: %{U} and %{G} are the user and group, without control characters", "[http]") {
  CHECK(expand_user_group("X-CSTP-User: %{U} in %{G}", "alice", "staff") == "X-CSTP-User: alice in staff");
  CHECK(expand_user_group("X-A: %{U}%{U}", "a\r\nX-Evil: 1", "") == "X-A: aX-Evil: 1aX-Evil: 1");
  CHECK(expand_user_group("X-A: %{X} %{U", "u", "g") == "X-A: %{X} %{U");
  CHECK(expand_user_group("X-A: 100%", "u", "g") == "X-A: 100%");
}

TEST_CASE("http headers: every X-CSTP-/X-DTLS- header the CONNECT answer sends is reserved", "[http][cstp]") {
  ipc::TunnelParams p;
  p.set_ipv4_address("10.0.0.5");
  p.set_ipv4_netmask("255.255.255.0");
  p.set_ipv6_address("fd00::5");
  p.set_ipv6_prefix(128);
  p.add_dns("10.0.0.1");
  p.add_nbns("10.0.0.2");
  p.add_split_dns("corp.example");
  p.add_route_include("192.168.0.0/16");
  p.add_route_include("fd02::/64");
  p.add_route_exclude("10.9.0.0/16");
  p.add_route_exclude("fd01::/64");
  p.set_default_domain("corp.example");
  p.set_mtu(1390);
  p.set_base_mtu(1500);
  p.set_dpd(30);
  p.set_keepalive(20);
  p.set_rekey_time(3600);
  p.set_idle_timeout(600);
  p.set_session_timeout(7200);
  p.set_hostname("pc1");
  p.set_dyndns(true);
  p.set_proxy_pac_url("http://pac.example/alice.pac");
  p.mutable_dtls()->set_udp_port(4443);
  cstp::ReplyChoices choices;
  choices.compression = {"oc-lz4", "lzs"};
  choices.banner = "hello";
  std::string replies[] = {
      cstp::build_connect_reply(p, "s", cstp::DtlsReply{true, "a1b2"}, choices),
      cstp::build_connect_reply(p, "s", cstp::DtlsReply{true, "", "AES256-SHA", false, "00ff"}, choices)};
  size_t names = 0;
  for (const auto& r : replies) {
    for (size_t at = r.find("\r\nX-"); at != std::string::npos; at = r.find("\r\nX-", at + 2)) {
      std::string name = r.substr(at + 2, r.find(':', at) - at - 2);
      ++names;
      bool reserved = name.rfind("X-DTLS12-", 0) == 0;
      for (auto n : connect_answer_names()) reserved = reserved || n == name;
      INFO(name);
      CHECK(reserved);
      CHECK(header_line_error(name + ": x", HeaderUse::ConnectAnswer));
    }
  }
  CHECK(names > 30);
}

TEST_CASE("http headers: the site's lines replace the built-in hardening headers", "[http]") {
  http::Response r;
  r.body = "x";
  std::string builtin = http::serialize(r);
  CHECK(builtin.find("X-Frame-Options: deny\r\n") != std::string::npos);
  CHECK(builtin.find("Cache-Control: no-store\r\n") != std::string::npos);

  std::vector<std::string> site = {"X-Frame-Options: sameorigin", "Referrer-Policy: no-referrer"};
  std::string s = http::serialize(r, site);
  CHECK(count(s, "X-Frame-Options") == 1);
  CHECK(s.find("X-Frame-Options: sameorigin\r\n") != std::string::npos);
  CHECK(s.find("Referrer-Policy: no-referrer\r\n") != std::string::npos);
  CHECK(s.find("Strict-Transport-Security") == std::string::npos);    // the admin's set is the whole set
  CHECK(s.find("Cache-Control: no-store\r\n") != std::string::npos);  // answers with cookies stay uncached
  CHECK(s.find("Content-Length: 1\r\n\r\nx") != std::string::npos);

  std::vector<std::string> own_cache = {"cache-control: no-store, no-cache"};
  std::string t = http::serialize(r, own_cache);
  CHECK(count(t, "ache-Control") + count(t, "ache-control") == 1);
  CHECK(t.find("cache-control: no-store, no-cache\r\n") != std::string::npos);
  // A Cache-Control without no-store: ours is added (the two add up; no-store wins).
  std::vector<std::string> cacheable = {"Cache-Control: max-age=600", "Cache-Control:"};
  std::string u = http::serialize(r, cacheable);
  CHECK(u.find("Cache-Control: max-age=600\r\n") != std::string::npos);
  CHECK(u.find("Cache-Control: no-store\r\n") != std::string::npos);
}

TEST_CASE("http headers: custom-header lines end the CONNECT answer's headers", "[http][cstp]") {
  ipc::TunnelParams p;
  p.set_username("alice");
  p.set_group("staff");
  p.set_ipv4_address("10.1.2.3");
  p.set_ipv4_netmask("255.255.255.0");
  p.set_mtu(1400);
  cstp::ReplyChoices choices;
  choices.custom_headers = {"X-My-Header: hi there", "X-Other: %{U}/%{G}"};
  std::string r = cstp::build_connect_reply(p, "sslvpnd test", cstp::DtlsReply{}, choices);
  size_t mine = r.find("\r\nX-My-Header: hi there\r\nX-Other: alice/staff\r\n\r\n");
  CHECK(mine != std::string::npos);
  CHECK(r.find("X-CSTP-Address: 10.1.2.3\r\n") < mine);
  CHECK(r.size() >= 4);
  CHECK(r.substr(r.size() - 4) == "\r\n\r\n");
  CHECK(cstp::build_connect_reply(p, "sslvpnd test", cstp::DtlsReply{}).find("X-My-Header") ==
        std::string::npos);
}
