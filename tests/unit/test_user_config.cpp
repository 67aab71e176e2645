// Per-user/per-group files, their merge order, and the worker's traffic rules.
#include <sys/socket.h>
#include <catch2/catch.hpp>

#include "common/user_config.hpp"
#include "worker/tunnel/traffic_policy.hpp"

using namespace sslvpn;

TEST_CASE("user config: keys, lists and errors", "[userconfig]") {
  std::vector<ConfigWarning> w;
  auto s = parse_user_config(
      "# alice\nexplicit-ipv4 = 10.66.0.50\nroute = 198.51.100.0/24\nroute = \"10.1.0.0/255.255.0.0\"\n"
      "dns = 10.66.0.53\nrx-data-per-sec = 250000\nrestrict-user-to-routes = true\nsession-timeout = none\n"
      "cgroup = cpuset,cpu:test\n",
      "alice", &w);
  CHECK(s.explicit_ipv4() == "10.66.0.50");
  REQUIRE(s.routes_size() == 2);
  CHECK(s.routes(1) == "10.1.0.0/16");
  CHECK(s.rx_per_sec() == 250000);
  CHECK_FALSE(s.has_tx_per_sec());
  CHECK(s.restrict_to_routes());
  CHECK(s.has_session_timeout());
  CHECK(s.session_timeout() == 0);
  REQUIRE(w.size() == 1);  // cgroup: an ocserv key not implemented
  CHECK(w[0].line == 9);
  {  // a key that has no per-user meaning is skipped with a warning, as ocserv does
    std::vector<ConfigWarning> w2;
    auto u = parse_user_config("route = 10.0.0.0/8\nauth = pam\n", "f", &w2);
    CHECK(u.routes_size() == 1);
    REQUIRE(w2.size() == 1);
    CHECK(w2[0].line == 2);
    CHECK(w2[0].text.find("'auth' cannot be set per user or group; skipped") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_user_config("explicit-ipv4 = fd00::1\n", "f", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_user_config("route = 10.0.0.0/33\n", "f", nullptr), ConfigError);
  // an iroute of everything would replace the server's own default route
  CHECK_THROWS_WITH(parse_user_config("iroute = 0.0.0.0/0\n", "f", nullptr),
                    Catch::Contains("default route"));
  CHECK_THROWS_AS(parse_user_config("iroute = ::/0\n", "f", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_user_config("rx-data-per-sec = -1\n", "f", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_user_config("[vhost:x]\n", "f", nullptr), ConfigError);
}

TEST_CASE("user config: later sources override, lists replace", "[userconfig]") {
  auto group = parse_user_config("route = 192.0.2.0/24\ndns = 10.0.0.1\nidle-timeout = 600\nno-udp = true\n",
                                 "g", nullptr);
  auto user = parse_user_config("route = 198.51.100.0/24\nroute = default\nno-udp = false\n", "u", nullptr);
  ipc::UserSettings s;
  merge_user_settings(s, group);
  merge_user_settings(s, user);
  REQUIRE(s.routes_size() == 2);  // the user's list, not both
  CHECK(s.routes(0) == "198.51.100.0/24");
  CHECK(s.routes(1) == "default");
  CHECK(s.dns(0) == "10.0.0.1");  // the user set none: the group's stays
  CHECK(s.idle_timeout() == 600);
  CHECK(s.has_no_udp());
  CHECK_FALSE(s.no_udp());  // an explicit false overrides the group's true
}

TEST_CASE("user config: names that could leave the directory are refused", "[userconfig]") {
  CHECK(safe_config_name("alice"));
  CHECK(safe_config_name("alice@example.com"));
  CHECK(safe_config_name("Domain Users"));
  CHECK_FALSE(safe_config_name(""));
  CHECK_FALSE(safe_config_name(".."));
  CHECK_FALSE(safe_config_name(".hidden"));
  CHECK_FALSE(safe_config_name("../etc/shadow"));
  CHECK_FALSE(safe_config_name("a/b"));
  CHECK_FALSE(safe_config_name("a\\b"));
  CHECK_FALSE(safe_config_name(std::string("a\nb")));
  CHECK_FALSE(safe_config_name(std::string(256, 'a')));
}

TEST_CASE("traffic: the byte budget holds a rate and allows a short burst", "[traffic]") {
  using Clock = tunnel::ByteBudget::Clock;
  Clock::time_point t0{};
  tunnel::ByteBudget b(100000, t0);  // 100 kB/s: burst max(16 KiB, 5 kB)
  CHECK(b.ready(t0));
  b.charge(16 * 1024, t0);
  CHECK(b.ready(t0));  // exactly spent
  b.charge(1500, t0);
  CHECK_FALSE(b.ready(t0));  // in debt
  auto at = b.ready_at(t0);
  CHECK(at - t0 == std::chrono::microseconds(15000));  // 1500 B at 100 kB/s
  CHECK(b.ready(at));
  // Over one simulated second of full-size packets, no more than rate + burst passes.
  size_t sent = 0;
  auto t = at;
  for (int i = 0; i < 100000 && t < at + std::chrono::seconds(1); ++i) {
    if (b.ready(t)) {
      b.charge(1500, t);
      sent += 1500;
    }
    t += std::chrono::microseconds(100);
  }
  CHECK(sent <= 100000 + 16 * 1024 + 1500);
  CHECK(sent >= 95000);
  tunnel::ByteBudget unlimited;
  unlimited.charge(1 << 30, t0);
  CHECK(unlimited.ready(t0));
}

TEST_CASE("traffic: destinations outside the allowed networks are refused", "[traffic]") {
  std::vector<uint8_t> v4(20, 0);
  v4[0] = 0x45;
  v4[16] = 198, v4[17] = 51, v4[18] = 100, v4[19] = 2;
  std::vector<IpNet> allowed = {*parse_ip_net("198.51.100.2/32"), *parse_ip_net("fd00::/64")};
  CHECK(tunnel::destination_allowed(v4, allowed));
  v4[19] = 1;
  CHECK_FALSE(tunnel::destination_allowed(v4, allowed));
  CHECK(tunnel::destination_allowed(v4, {}));  // no list: anything
  std::vector<uint8_t> v6(40, 0);
  v6[0] = 0x60;
  v6[24] = 0xfd;
  v6[39] = 7;
  CHECK(tunnel::destination_allowed(v6, allowed));
  v6[24] = 0xfe;
  CHECK_FALSE(tunnel::destination_allowed(v6, allowed));
  CHECK_FALSE(tunnel::destination_allowed(std::span<const uint8_t>(v4.data(), 10), allowed));  // truncated
}

TEST_CASE("user config: ocserv's ipv4-dns / ipv6-dns names", "[userconfig]") {
  auto s = parse_user_config("ipv4-dns = 192.0.2.53\nipv6-dns = 2001:db8::53\nipv4-nbns = 192.0.2.137\n", "f",
                             nullptr);
  REQUIRE(s.dns_size() == 2);
  CHECK(s.dns(0) == "192.0.2.53");
  CHECK(s.nbns_size() == 1);
}

TEST_CASE("traffic: restrict-user-to-ports passes only the listed protocols and ports", "[traffic]") {
  auto tcp4 = [](uint16_t dport, uint16_t frag = 0) {
    std::vector<uint8_t> p(40, 0);
    p[0] = 0x45, p[9] = 6;
    p[6] = static_cast<uint8_t>(frag >> 8), p[7] = static_cast<uint8_t>(frag);
    p[22] = static_cast<uint8_t>(dport >> 8), p[23] = static_cast<uint8_t>(dport);
    return p;
  };
  std::string error;
  auto only = *parse_port_filter("tcp(443), icmp()", &error);
  CHECK(tunnel::ports_allowed(tcp4(443), only));
  CHECK_FALSE(tunnel::ports_allowed(tcp4(22), only));
  CHECK(tunnel::ports_allowed(tcp4(22, 0x0010), only));  // a later fragment: no port, passes
  std::vector<uint8_t> icmp(28, 0);
  icmp[0] = 0x45, icmp[9] = 1;
  CHECK(tunnel::ports_allowed(icmp, only));
  std::vector<uint8_t> udp = tcp4(53);
  udp[9] = 17;
  CHECK_FALSE(tunnel::ports_allowed(udp, only));
  auto but = *parse_port_filter("!(tcp(22))", &error);
  CHECK_FALSE(tunnel::ports_allowed(tcp4(22), but));
  CHECK(tunnel::ports_allowed(tcp4(443), but));
  CHECK(tunnel::ports_allowed(udp, but));
  CHECK(tunnel::ports_allowed(tcp4(22), PortFilter{}));  // no filter: anything
  CHECK_FALSE(tunnel::ports_allowed(std::span<const uint8_t>(tcp4(443).data(), 21), only));  // cut short
  // IPv6 with a hop-by-hop header before TCP
  std::vector<uint8_t> v6(68, 0);
  v6[0] = 0x60, v6[6] = 0;  // next: hop-by-hop
  v6[40] = 6, v6[41] = 0;   // then TCP, 8 bytes of options
  v6[48 + 2] = 0x01, v6[48 + 3] = 0xBB;
  CHECK(tunnel::ports_allowed(v6, only));
  v6[48 + 3] = 0x16;
  CHECK_FALSE(tunnel::ports_allowed(v6, only));
  // Nine destination-options headers hide TCP port 22: unknown transport, dropped by a deny list too.
  std::vector<uint8_t> deep(40 + 9 * 8 + 20, 0);
  deep[0] = 0x60, deep[6] = 60;
  for (int i = 0; i < 9; ++i) deep[40 + i * 8] = i < 8 ? 60 : 6;
  deep[40 + 72 + 3] = 22;
  CHECK_FALSE(tunnel::ports_allowed(deep, but));
  // TCP after an authentication header (length in 4-byte words, less 2) is seen as TCP.
  std::vector<uint8_t> ah(40 + 12 + 20, 0);
  ah[0] = 0x60, ah[6] = 51;
  ah[40] = 6, ah[41] = 1;  // (1 + 2) * 4 = 12 bytes
  ah[52 + 3] = 22;
  CHECK_FALSE(tunnel::ports_allowed(ah, but));
  ah[52 + 3] = 80;
  CHECK(tunnel::ports_allowed(ah, but));
  // a filter main sent that does not parse lets nothing through
  CHECK_FALSE(tunnel::ports_allowed(tcp4(443), tunnel::port_filter_from("bogus")));
}

TEST_CASE("user config: restrict-user-to-ports per user", "[userconfig]") {
  auto s = parse_user_config("restrict-user-to-ports = \"tcp(22), udp()\"\n", "f", nullptr);
  CHECK(s.restrict_to_ports() == "tcp(22), udp()");
  CHECK_THROWS(parse_user_config("restrict-user-to-ports = tcp\n", "f", nullptr));
}

TEST_CASE("user config: 0.0.0.0/0 is the default route, ::/0 an IPv6 route (as ocserv reads them)",
          "[userconfig]") {
  // ocserv reads a per-user `route = 0.0.0.0/0` as the default route; a split include of
  // everything would make the client's script replace its own default route.
  for (const char* v : {"0.0.0.0/0", "default", "0.0.0.0/0.0.0.0"}) {
    auto s = parse_user_config(std::string("route = ") + v + "\n", "u", nullptr);
    REQUIRE(s.routes_size() == 1);
    CHECK(s.routes(0) == "default");
  }
  CHECK(parse_user_config("route = ::/0\n", "u", nullptr).routes(0) == "::/0");
  CHECK(parse_user_config("route = 0.0.0.0/1\n", "u", nullptr).routes(0) == "0.0.0.0/1");
}

TEST_CASE("user config: ocserv's own spellings", "[userconfig]") {
  std::vector<ConfigWarning> w;
  auto s = parse_user_config(
      "tunnel_all_dns = true\nmobile-idle-timeout = 600 # phones\nmobile-dpd = 1800\nhostname = pc1\n", "u",
      &w);
  CHECK(s.tunnel_all_dns());
  CHECK(s.mobile_idle_timeout() == 600);
  CHECK(s.mobile_dpd() == 1800);
  CHECK_FALSE(s.has_dpd());
  CHECK(s.hostname() == "pc1");  // in place of the client's, as ocserv's
  CHECK(w.empty());
  CHECK_THROWS_AS(parse_user_config("hostname = two words\n", "u", nullptr), ConfigError);
}

TEST_CASE("user config: net-priority per user; one form replaces the other", "[userconfig]") {
  auto group = parse_user_config("net-priority = 0x20\n", "g", nullptr);
  CHECK(group.ip_tos() == 0x20);
  CHECK_FALSE(group.has_socket_priority());
  auto user = parse_user_config("net-priority = 4\n", "u", nullptr);
  ipc::UserSettings s;
  merge_user_settings(s, group);
  merge_user_settings(s, user);
  CHECK(s.socket_priority() == 4);
  CHECK_FALSE(s.has_ip_tos());  // the user's priority, not the group's TOS as well
  CHECK_THROWS_AS(parse_user_config("net-priority = 0x1ff\n", "u", nullptr), ConfigError);
}

TEST_CASE("user config: times over a year are a year, with a warning (ocserv takes any int)",
          "[userconfig]") {
  std::vector<ConfigWarning> w;
  auto s = parse_user_config("session-timeout = 99999999\nidle-timeout = 600\ndpd = 40000000\n", "u", &w);
  CHECK(s.session_timeout() == 86400u * 365);
  CHECK(s.idle_timeout() == 600);
  CHECK(s.dpd() == 86400u * 365);
  REQUIRE(w.size() == 2);
  CHECK(w[0].line == 1);
  CHECK(w[0].text.find("'session-timeout = 99999999' is more than sslvpnd takes; 31536000 is used") !=
        std::string::npos);
  CHECK(w[1].line == 3);
  // Not a number is still an error, and so is a negative one.
  CHECK_THROWS_AS(parse_user_config("session-timeout = soon\n", "u", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_user_config("idle-timeout = -5\n", "u", nullptr), ConfigError);
  // Without a warnings list (a login), the cap holds all the same.
  CHECK(parse_user_config("keepalive = 99999999999\n", "u", nullptr).keepalive() == 86400u * 365);
  // Any number of digits, and leading zeros that are not significant.
  CHECK(parse_user_config("dpd = 1234567890123456789012345\n", "u", nullptr).dpd() == 86400u * 365);
  CHECK(parse_user_config("dpd = 000000000000000000000000090\n", "u", nullptr).dpd() == 90);
}

TEST_CASE("user config: a user's or group's own address pool, as ocserv's files give it", "[userconfig]") {
  std::vector<ConfigWarning> w;
  // The netmask may come before the network; host bits are cleared.
  auto s = parse_user_config("ipv4-netmask = 255.255.255.0\nipv4-network = 10.77.0.9\n", "g", &w);
  CHECK(s.ipv4_network() == "10.77.0.0/24");
  CHECK(w.empty());
  CHECK(parse_user_config("ipv4-network = 10.78.0.0/23\n", "g", nullptr).ipv4_network() == "10.78.0.0/23");
  // IPv6: with its prefix, or 'ipv6-prefix' (which wins), and the lease size with it.
  auto v6 =
      parse_user_config("ipv6-network = fd00:77::\nipv6-prefix = 64\nipv6-subnet-prefix = 112\n", "g", &w);
  CHECK(v6.ipv6_network() == "fd00:77::/64");
  CHECK(v6.ipv6_subnet_prefix() == 112);
  CHECK(w.empty());
  // Without its size the network stays bare: the group's netmask or the server's sizes it
  // (main); a netmask alone waits for a network from the other file.
  auto bare =
      parse_user_config("route = 10.0.0.0/8\nipv4-network = 10.77.0.0\nipv6-network = fd00:77::\n", "u", &w);
  CHECK(bare.ipv4_network() == "10.77.0.0");
  CHECK(bare.ipv6_network() == "fd00:77::");
  CHECK(w.empty());
  auto mask = parse_user_config("ipv4-netmask = 255.255.0.0\n", "g", &w);
  CHECK(mask.ipv4_netmask() == "16");
  ipc::UserSettings joined;
  merge_user_settings(joined, mask);
  merge_user_settings(joined, bare);
  CHECK(joined.ipv4_network() == "10.77.0.0");
  CHECK(joined.ipv4_netmask() == "16");
  merge_user_settings(joined, parse_user_config("ipv4-network = 10.78.0.0/24\n", "u", nullptr));
  CHECK(joined.ipv4_netmask().empty());  // a network with its size is whole
  auto lone = parse_user_config("ipv6-subnet-prefix = 120\n", "u", &w);
  CHECK_FALSE(lone.has_ipv6_subnet_prefix());
  CHECK(w.size() == 1);
  CHECK_THROWS_AS(parse_user_config("ipv4-netmask = 255.0.255.0\n", "u", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_user_config("ipv4-network = fd00::\n", "u", nullptr), ConfigError);
  CHECK_THROWS_WITH(parse_user_config("\nipv4-network = 10.77.0.0/31\n", "u", nullptr),
                    Catch::Contains("u:2: 'ipv4-network' is too small"));
  CHECK_THROWS_AS(parse_user_config("ipv4-network = fd00::/64\n", "u", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_user_config("ipv4-network = 10.0.0.0\nipv4-netmask = 255.0.255.0\n", "u", nullptr),
                  ConfigError);
  CHECK_THROWS_AS(parse_user_config("ipv6-network = fd00::/64\nipv6-subnet-prefix = 48\n", "u", nullptr),
                  ConfigError);
  CHECK_THROWS_AS(parse_user_config("ipv6-network = 10.0.0.0/8\n", "u", nullptr), ConfigError);

  // The user's file wins over the group's; an IPv6 network brings its own lease size or none.
  ipc::UserSettings m;
  merge_user_settings(m, parse_user_config("ipv4-network = 10.77.0.0/24\nipv6-network = fd00:1::/64\n"
                                           "ipv6-subnet-prefix = 112\n",
                                           "g", nullptr));
  merge_user_settings(m,
                      parse_user_config("ipv6-network = fd00:2::/64\nroute = 192.0.2.0/24\n", "u", nullptr));
  CHECK(m.ipv4_network() == "10.77.0.0/24");
  CHECK(m.ipv6_network() == "fd00:2::/64");
  CHECK_FALSE(m.has_ipv6_subnet_prefix());
}
