// Address pools shared by hosts and by users' and groups' own networks.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "main/pool_set.hpp"

using namespace sslvpn;
using namespace sslvpn::mainproc;

namespace {
IpNet net(const char* s) {
  auto n = parse_ip_net(s);
  REQUIRE(n);
  return *n;
}
}  // namespace

TEST_CASE("pool set: a user's own network shares a pool, never overlaps one in use", "[pools]") {
  PoolSet pools;
  IpPool* host = pools.get(net("10.66.0.0/24"), 32, true);
  REQUIRE(host != nullptr);
  CHECK(pools.get(std::nullopt, 32, true) == nullptr);
  std::vector<IpPool*> hosts{host, nullptr};
  std::string why;

  // Apart from the host's: a pool of its own, whose first host is the server's end.
  IpPool* lab = pools.for_user(net("10.77.0.0/24"), 32, true, hosts, &why);
  REQUIRE(lab != nullptr);
  CHECK(lab != host);
  CHECK(lab->server_address().to_string() == "10.77.0.1");
  auto a = lab->acquire("ivan", std::nullopt);
  REQUIRE(a);
  CHECK(lab->network().contains(*a));
  // The same network again (another member of the group) is the same pool: no address twice.
  CHECK(pools.for_user(net("10.77.0.0/24"), 32, true, hosts, &why) == lab);
  auto b = lab->acquire("judy", std::nullopt);
  REQUIRE(b);
  CHECK_FALSE(*a == *b);
  CHECK(pools.leases_in_use() == 2);
  // The host's network itself is the host's pool.
  CHECK(pools.for_user(net("10.66.0.0/24"), 32, true, hosts, &why) == host);

  // Inside the host's network, or around a pool with leases: refused, saying why.
  CHECK(pools.for_user(net("10.66.0.128/25"), 32, true, hosts, &why) == nullptr);
  CHECK(why.find("overlaps 10.66.0.0/24") != std::string::npos);
  CHECK(pools.for_user(net("10.77.0.0/16"), 32, true, hosts, &why) == nullptr);
  CHECK(why.find("overlaps 10.77.0.0/24") != std::string::npos);
  // Once the lab's leases are gone its network no longer blocks a wider one; then the lab's
  // own network is refused while the wider one has leases (its pool would lease them again).
  lab->release(*a);
  lab->release(*b);
  IpPool* wide = pools.for_user(net("10.77.0.0/16"), 32, true, hosts, &why);
  REQUIRE(wide != nullptr);
  REQUIRE(wide->acquire("kim", std::nullopt));
  CHECK(pools.for_user(net("10.77.0.0/24"), 32, true, hosts, &why) == nullptr);
  CHECK(why.find("overlaps 10.77.0.0/16") != std::string::npos);
  CHECK(pools.for_user(net("10.77.5.0/24"), 32, true, hosts, &why) == nullptr);
  CHECK(pools.for_user(net("10.77.0.0/16"), 32, true, hosts, &why) == wide);

  // IPv6: the lease size is part of the pool; one longer than the network is refused.
  IpPool* v6 = pools.for_user(net("fd00:77::/64"), 112, true, hosts, &why);
  REQUIRE(v6 != nullptr);
  CHECK(v6->client_prefix() == 112);
  CHECK(pools.for_user(net("fd00:78::/120"), 64, true, hosts, &why) == nullptr);
  CHECK(why.find("smaller than one lease") != std::string::npos);

  // What a reload checks: any pool, with leases or not.
  CHECK(pools.overlapped(net("10.66.0.0/24"), 32).empty());
  CHECK(pools.overlapped(net("10.66.0.0/23"), 32) == "10.66.0.0/24");
}
