#include <catch2/catch.hpp>

#include "common/ip_addr.hpp"

using namespace sslvpn;

TEST_CASE("ip: parse and format addresses and networks", "[ip]") {
  auto a = parse_ip("192.0.2.10");
  REQUIRE(a.has_value());
  CHECK(a->is_v4());
  CHECK(a->to_string() == "192.0.2.10");
  auto b = parse_ip("2001:db8::1");
  REQUIRE(b.has_value());
  CHECK_FALSE(b->is_v4());
  CHECK(b->to_string() == "2001:db8::1");
  CHECK_FALSE(parse_ip("300.1.1.1").has_value());
  CHECK_FALSE(parse_ip("").has_value());

  auto n = parse_ip_net("10.1.2.3/255.255.0.0");
  REQUIRE(n.has_value());
  CHECK(n->to_string() == "10.1.0.0/16");
  CHECK(n->v4_netmask() == "255.255.0.0");
  CHECK(n->contains(*parse_ip("10.1.200.9")));
  CHECK_FALSE(n->contains(*parse_ip("10.2.0.1")));
  CHECK_FALSE(n->contains(*parse_ip("::1")));
  CHECK(parse_ip_net("fd00:1::5/64")->to_string() == "fd00:1::/64");
  CHECK(parse_ip_net("10.0.0.1")->prefix == 32);
  CHECK_FALSE(parse_ip_net("10.0.0.0/255.0.255.0").has_value());
  CHECK_FALSE(parse_ip_net("fd00::/129").has_value());
  CHECK(netmask_prefix("255.255.255.128").value() == 25);
  CHECK(netmask_prefix("0.0.0.0").value() == 0);
}

TEST_CASE("ip: to_chars writes what inet_ntop writes", "[ip]") {
  std::array<char, IpAddr::kMaxText> buf;
  for (const char* t : {"0.0.0.0", "255.255.255.255", "10.0.99.100", "1.22.133.9", "::", "::ffff:1.2.3.4",
                        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"}) {
    IpAddr a = parse_ip(t).value();
    size_t n = a.to_chars(buf);
    CHECK(std::string(buf.data(), n) == t);
    CHECK(buf[n] == '\0');
    CHECK(a.to_string() == t);
  }
  CHECK(IpAddr{}.to_chars(buf) == 0);
  CHECK(IpAddr{}.to_string().empty());
}

TEST_CASE("ip: host arithmetic", "[ip]") {
  auto n = *parse_ip_net("10.0.0.0/24");
  CHECK(net_host(n, 1).to_string() == "10.0.0.1");
  CHECK(net_host(n, 254).to_string() == "10.0.0.254");
  auto big = *parse_ip_net("10.0.0.0/15");
  CHECK(net_host(big, 256 + 7).to_string() == "10.0.1.7");
  CHECK(net_host(big, 0x1ff00).to_string() == "10.1.255.0");
  auto v6 = *parse_ip_net("fd00::/120");
  CHECK(net_host(v6, 0x21).to_string() == "fd00::21");
}
