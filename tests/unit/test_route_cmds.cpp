// route-add-cmd / route-del-cmd: ocserv's placeholders, expanded from main's own values.
#include <catch2/catch.hpp>

#include "main/route_cmds.hpp"

using namespace sslvpn::mainproc;

TEST_CASE("route-add-cmd: %{R}, %R, %{RI}, %{D} and %D", "[route-cmds]") {
  CHECK(expand_route_cmd("ip route add %{R} dev %{D}", "192.168.2.0/255.255.255.0", "192.168.2.0/24",
                         "vpns3") == "ip route add 192.168.2.0/255.255.255.0 dev vpns3");
  CHECK(expand_route_cmd("ip route add %{RI} dev %D table 7", "192.168.2.0/255.255.255.0", "192.168.2.0/24",
                         "vpns3") == "ip route add 192.168.2.0/24 dev vpns3 table 7");
  CHECK(expand_route_cmd("%R|%{R}|%{RI}|%D|%{D}", "n/m", "n/24", "d") == "n/m|n/m|n/24|d|d");
  // Anything else stays as it is, a lone or unknown % included.
  CHECK(expand_route_cmd("echo 100% %{X} %{R %", "r", "c", "d") == "echo 100% %{X} %{R %");
  CHECK(expand_route_cmd("", "r", "c", "d").empty());
}

TEST_CASE("route-add-cmd: one command per iroute, IPv4 with its netmask, IPv6 in CIDR", "[route-cmds]") {
  auto cmds = iroute_commands("add %{R} %{RI} %{D}",
                              {"10.99.0.0/24", "fd00:99::/64", "not a network", "10.98.1.7/32"}, "vpns12");
  REQUIRE(cmds.size() == 3);
  CHECK(cmds[0] == "add 10.99.0.0/255.255.255.0 10.99.0.0/24 vpns12");
  CHECK(cmds[1] == "add fd00:99::/64 fd00:99::/64 vpns12");
  CHECK(cmds[2] == "add 10.98.1.7/255.255.255.255 10.98.1.7/32 vpns12");
  CHECK(iroute_commands("add %{R}", {}, "vpns0").empty());
}

TEST_CASE("route-add-cmd: a new tunnel takes the networks an older one still holds", "[route-cmds]") {
  std::vector<std::string> held{"10.99.0.0/24", "10.98.0.0/24", "fd00:99::/64"};
  auto taken = take_routes(held, {"fd00:99::/64", "10.99.0.0/24", "10.97.0.0/24"});
  CHECK(taken == std::vector<std::string>{"10.99.0.0/24", "fd00:99::/64"});
  CHECK(held == std::vector<std::string>{"10.98.0.0/24"});  // its end undoes only this one now
  CHECK(take_routes(held, {}).empty());
  CHECK(held.size() == 1);
}
