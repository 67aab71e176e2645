#include <catch2/catch.hpp>

#include <set>

#include "main/ip_pool.hpp"

using namespace sslvpn;
using namespace sslvpn::mainproc;

TEST_CASE("pool: IPv4 leases are distinct, skip the server and broadcast", "[pool]") {
  IpPool p(*parse_ip_net("10.9.0.0/29"), 32, false);
  CHECK(p.server_address().to_string() == "10.9.0.1");
  CHECK(p.capacity() == 6);  // .1 server, .2-.6 clients, .7 broadcast excluded
  std::set<std::string> got;
  for (int i = 0; i < 5; ++i) {
    auto a = p.acquire("u" + std::to_string(i), std::nullopt);
    REQUIRE(a.has_value());
    got.insert(a->to_string());
  }
  CHECK(got == std::set<std::string>{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"});
  CHECK_FALSE(p.acquire("full", std::nullopt).has_value());  // exhausted
  p.release(*parse_ip("10.9.0.4"));
  CHECK(p.acquire("again", std::nullopt)->to_string() == "10.9.0.4");
  CHECK(p.used() == 5);
}

TEST_CASE("pool: wanted addresses and predictable addresses", "[pool]") {
  IpPool p(*parse_ip_net("10.9.0.0/24"), 32, true);
  auto a = p.acquire("alice", *parse_ip("10.9.0.77"));
  CHECK(a->to_string() == "10.9.0.77");
  // taken, the server's own, outside the pool, or broadcast: falls back to a free one
  for (const char* w : {"10.9.0.77", "10.9.0.1", "10.9.1.5", "10.9.0.255", "10.9.0.0"}) {
    auto b = p.acquire("bob", *parse_ip(w));
    REQUIRE(b.has_value());
    CHECK(b->to_string() != w);
    p.release(*b);
  }
  auto first = p.acquire("carol", std::nullopt);
  p.release(*first);
  CHECK(p.acquire("carol", std::nullopt) == first);  // same user, same address when free
  CHECK(p.in_use(*first));
  CHECK_FALSE(p.in_use(*parse_ip("10.9.0.200")));
}

TEST_CASE("pool: IPv6 per-client subnets and host addresses", "[pool]") {
  IpPool sub(*parse_ip_net("fd00:1::/48"), 64, false);
  CHECK(sub.server_address().to_string() == "fd00:1::1");
  auto a = sub.acquire("x", std::nullopt);
  REQUIRE(a.has_value());
  CHECK(a->to_string() == "fd00:1:0:1::1");
  CHECK(sub.acquire("y", *parse_ip("fd00:1:0:2a::1"))->to_string() == "fd00:1:0:2a::1");
  CHECK(sub.in_use(*parse_ip("fd00:1:0:2a::1")));
  CHECK_FALSE(sub.acquire("z", *parse_ip("fd00:1:0:2b::5"))->to_string() == "fd00:1:0:2b::5");

  IpPool hosts(*parse_ip_net("fd00:2::/120"), 128, false);
  CHECK(hosts.server_address().to_string() == "fd00:2::1");
  CHECK(hosts.acquire("x", std::nullopt)->to_string() == "fd00:2::2");
  CHECK(hosts.acquire("y", *parse_ip("fd00:2::ff"))->to_string() == "fd00:2::ff");
  CHECK(hosts.capacity() == 255);
}
