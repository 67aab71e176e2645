// The load generator's response parsing (pure functions over bytes).
#include <catch2/catch.hpp>

#include "tools/loadgen/http_reply.hpp"

using namespace sslvpn;
using namespace sslvpn::loadgen;

TEST_CASE("loadgen: replies parse with cookies, CSTP address and body", "[loadgen]") {
  std::string r =
      "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nSet-Cookie: webvpncontext=abc; Secure\r\n"
      "Set-Cookie: webvpn=0123; Secure; HttpOnly\r\nSet-Cookie: webvpnc=; expires=Thu\r\n"
      "Content-Length: 5\r\n\r\nhello+next";
  size_t used = 0;
  auto p = parse_reply(r, false, &used);
  REQUIRE(p.ok());
  REQUIRE(p->has_value());
  CHECK((*p)->status == 200);
  CHECK((*p)->webvpn_cookie == "0123");
  CHECK((*p)->context_cookie == "abc");
  CHECK((*p)->body == "hello");
  CHECK(used == r.size() - 5);
  // Incomplete: no value yet.
  auto partial = parse_reply(r.substr(0, r.size() - 8), false, &used);
  REQUIRE(partial.ok());
  CHECK_FALSE(partial->has_value());
  // CONNECT: the head only; the IPv6 address header is skipped for the IPv4 one.
  std::string c = "HTTP/1.1 200 CONNECTED\r\nX-CSTP-Address: fd00::5\r\nX-CSTP-Address: 10.0.0.5\r\n\r\nSTF";
  auto cp = parse_reply(c, true, &used);
  REQUIRE(cp.ok());
  REQUIRE(cp->has_value());
  CHECK((*cp)->cstp_address == "10.0.0.5");
  CHECK(c.substr(used) == "STF");
  CHECK_FALSE(parse_reply("HTTX/1.1 200\r\n\r\n", false, &used).ok());
  CHECK_FALSE(parse_reply("HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", false, &used).ok());
}

TEST_CASE("loadgen: the inputs of a login form", "[loadgen]") {
  std::string form =
      "<auth id=\"main\"><form><input type=\"text\" name=\"username\" label=\"U\" />"
      "<input type=\"password\" name=\"password\" label=\"P\" /><select name=\"group_list\"></select></form>";
  CHECK(form_inputs(form) == std::vector<std::string>{"username", "password"});
  CHECK(form_inputs("<input type=\"password\" name=\"secondary_password\"/>") ==
        std::vector<std::string>{"secondary_password"});
  CHECK(form_inputs("<input name=\"x").empty());
  CHECK(auth_complete("<config-auth client=\"vpn\" type=\"complete\">"));
  CHECK_FALSE(auth_complete(form));
}
