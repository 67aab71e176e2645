// What an Access-Accept assigns (sec-mod/radius_reply.hpp), attribute by attribute, as ocserv
// takes them; hostile values (wrong sizes, bad prefixes) are skipped, never trusted.
#include <catch2/catch.hpp>

#include "sec-mod/radius_reply.hpp"

using namespace sslvpn::secmod;

namespace {

std::string be32(uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}
std::string v6(std::initializer_list<uint8_t> head) {  // the first bytes, the rest zero
  std::string s(16, '\0');
  size_t i = 0;
  for (uint8_t b : head) s[i++] = static_cast<char>(b);
  return s;
}
std::string prefix(uint8_t len, std::string bytes) {
  return std::string{'\0', static_cast<char>(len)} + bytes;
}

}  // namespace

TEST_CASE("radius reply: addresses, netmask, routes, DNS, timers and group", "[radius]") {
  std::vector<RadiusAttr> a = {
      {6, be32(2)},                                                      // Service-Type = Framed-User
      {8, be32(0x0afa004d)},                                             // Framed-IP-Address 10.250.0.77
      {9, be32(0xffffff00)},                                             // Framed-IP-Netmask /24
      {22, "10.88.0.0/16 0.0.0.0 1"},                                    // Framed-Route
      {99, "fd00:88::/48 :: 1"},                                         // Framed-IPv6-Route
      {97, prefix(56, std::string("\xfd\x00\x99\x00\x00\x00\x00", 7))},  // Framed-IPv6-Prefix
      {168, v6({0xfd, 0x00, 0x25, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77})},
      {kRadiusMsPrimaryDns, be32(0x0a000035)},    // 10.0.0.53
      {kRadiusMsSecondaryDns, be32(0x0a000036)},  // 10.0.0.54
      {169, v6({0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53})},
      {27, be32(3600)},
      {85, be32(60)},
      {25, "OU=engineers;x"},
  };
  auto r = radius_assignment(a, true);
  REQUIRE_FALSE(r.refused);
  const auto& s = r.settings;
  CHECK(s.explicit_ipv4() == "10.250.0.77");
  CHECK(s.ipv4_netmask() == "24");
  CHECK(s.explicit_ipv6() == "fd00:250f::77");
  REQUIRE(s.routes_size() == 3);
  CHECK(s.routes(0) == "10.88.0.0/16");
  CHECK(s.routes(1) == "fd00:88::/48");
  CHECK(s.routes(2) == "fd00:9900::/56");
  REQUIRE(s.dns_size() == 3);
  CHECK(s.dns(0) == "10.0.0.53");
  CHECK(s.dns(1) == "10.0.0.54");
  CHECK(s.dns(2) == "fd00::53");
  CHECK(s.session_timeout() == 3600);
  CHECK(s.interim_interval() == 60);
  REQUIRE(r.groups.size() == 1);
  CHECK(r.groups[0] == "engineers");
  // Without groupconfig, Class names no group.
  CHECK(radius_assignment(a, false).groups.empty());
}

TEST_CASE("radius reply: a service other than Framed refuses the login, as ocserv", "[radius]") {
  auto r = radius_assignment({{8, be32(0x0afa004d)}, {6, be32(1)}}, false);  // Login-User
  CHECK(r.refused);
  CHECK(r.why.find("Service-Type 1") != std::string::npos);
  CHECK_FALSE(radius_assignment({{6, be32(2)}}, false).refused);
  CHECK_FALSE(radius_assignment({}, false).refused);  // none: nothing refuses
}

TEST_CASE("radius reply: malformed or special values are skipped", "[radius]") {
  auto r = radius_assignment(
      {
          {8, be32(0xffffffff)},                      // negotiated: no address of its own
          {8, "\x0a\x00"},                            // too short
          {9, be32(0xff00ff00)},                      // not a contiguous mask
          {168, be32(0x0a000001)},                    // IPv4 where IPv6 belongs
          {169, std::string(15, '\x01')},             // too short
          {kRadiusMsPrimaryDns, v6({0xfd})},          // IPv6 where IPv4 belongs
          {97, prefix(129, v6({0xfd}))},              // prefix longer than 128
          {97, std::string("\x00", 1)},               // no length
          {97, prefix(48, "")},                       // no prefix bytes
          {97, prefix(0, v6({0xfd}))},                // ::/0 would be every IPv6 address
          {97, prefix(64, std::string(17, '\x01'))},  // more than 16 bytes
          {22, "not a route"},
          {25, "a,b"},  // not a group name
          {27, "\x01"},
      },
      true);
  CHECK_FALSE(r.refused);
  CHECK(r.settings.explicit_ipv4().empty());
  CHECK(r.settings.ipv4_netmask().empty());
  CHECK(r.settings.explicit_ipv6().empty());
  CHECK(r.settings.dns_size() == 0);
  CHECK(r.settings.routes_size() == 0);
  CHECK(r.groups.empty());
  CHECK_FALSE(r.settings.has_session_timeout());
}

TEST_CASE("radius reply: routes and DNS servers are bounded", "[radius]") {
  std::vector<RadiusAttr> many;
  for (int i = 0; i < 1000; ++i) many.push_back({22, "10." + std::to_string(i % 250) + ".0.0/16"});
  for (int i = 0; i < 100; ++i) many.push_back({kRadiusMsPrimaryDns, be32(0x0a000001 + i)});
  auto r = radius_assignment(many, false);
  CHECK(static_cast<size_t>(r.settings.routes_size()) == kMaxRadiusRoutes);
  CHECK(static_cast<size_t>(r.settings.dns_size()) == kMaxRadiusDns);
}
