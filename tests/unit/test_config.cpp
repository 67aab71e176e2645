#include <catch2/catch.hpp>

#include "common/config.hpp"
#include "common/config_keys.hpp"
#include "common/port_filter.hpp"

using namespace sslvpn;

namespace {
const char* kMinimal =
    "auth = \"plain[passwd=/etc/sslvpnd/passwd]\"\n"
    "server-cert = /c.pem\n"
    "server-key = /k.pem\n";
}

TEST_CASE("config: minimal file parses with defaults", "[config]") {
  std::vector<ConfigWarning> w;
  Config c = parse_config(kMinimal, "t", &w);
  CHECK(w.empty());
  CHECK(c.tcp_port == 443);
  CHECK(c.plain_passwd_file() == "/etc/sslvpnd/passwd");
  CHECK(c.cookie_timeout == 300);
  CHECK(c.auth_timeout == 240);
  CHECK(c.isolate_workers);
}

TEST_CASE("config: values, quotes, comments and repeated keys", "[config]") {
  std::string text = std::string(kMinimal) +
                     "# a comment\n"
                     "tcp-port=4443\n"
                     "  max-clients = 16  \n"
                     "select-group = staff\n"
                     "select-group = ops[Operations Team]\n"
                     "default-select-group = DEFAULT\n"
                     "banner = \"Hello, world\"\n"
                     "isolate-workers = false\n";
  Config c = parse_config(text, "t", nullptr);
  CHECK(c.tcp_port == 4443);
  CHECK(c.max_clients == 16);
  REQUIRE(c.select_groups.size() == 2);
  CHECK(c.select_groups[0].name == "staff");
  CHECK(c.select_groups[0].label == "staff");
  CHECK(c.select_groups[1].name == "ops");
  CHECK(c.select_groups[1].label == "Operations Team");
  CHECK(c.default_select_group == "DEFAULT");
  CHECK(c.banner == "Hello, world");
  CHECK_FALSE(c.isolate_workers);
}

TEST_CASE("config: an unknown key is skipped with a warning naming it, as ocserv does", "[config]") {
  std::string text = std::string(kMinimal) + "\nfrobnicate = 1\n";
  std::vector<ConfigWarning> w;
  (void)parse_config(text, "my.conf", &w);
  REQUIRE(w.size() == 1);
  CHECK(w[0].line == 5);
  CHECK(w[0].text.find("unknown option 'frobnicate'; skipped, as ocserv does") != std::string::npos);
  // A key one or two letters from a known one is a typo that would weaken the server: an error.
  for (const char* typo : {"crll", "restrict-user-to-route", "deny_roaming2", "AUTH2"}) {
    INFO(typo);
    CHECK_THROWS_WITH(parse_config(std::string(kMinimal) + typo + " = 1\n", "t", nullptr),
                      Catch::Contains("did you mean"));
  }
  // A boolean that guards something (its default is the open one) must be one.
  CHECK_THROWS_WITH(parse_config(std::string(kMinimal) + "restrict-user-to-routes = ture\n", "t", nullptr),
                    Catch::Contains("expects true or false"));
  // sslvpnd's own families are its alone: a misspelt one is an error naming key and line.
  for (const char* key : {"openvpn-udp-prot", "nvm-listen", "gp-portl"}) {
    INFO(key);
    try {
      (void)parse_config(std::string(kMinimal) + "\n" + key + " = 1\n", "my.conf", nullptr);
      FAIL("no error");
    } catch (const ConfigError& e) {
      std::string m = e.what();
      CHECK(m.find("my.conf:5") != std::string::npos);
      CHECK(m.find(key) != std::string::npos);
    }
  }
}

TEST_CASE("config: ocserv keys not implemented yet are warnings", "[config]") {
  std::vector<ConfigWarning> w;
  std::string text = std::string(kMinimal) + "ping-leases = true\ncisco-svc-client-compat = true\n";
  (void)parse_config(text, "t", &w);
  REQUIRE(w.size() == 2);
  CHECK(w[0].line == 4);
  CHECK(w[0].text.find("ping-leases = true") != std::string::npos);
  CHECK(w[1].text.find("'cisco-svc-client-compat = true' is not implemented") != std::string::npos);
}

TEST_CASE("config: proxy-url is one printable word", "[config]") {
  CHECK(parse_config(std::string(kMinimal) + "proxy-url = http://pac.example/%{U}.pac\n", "t", nullptr)
            .proxy_url == "http://pac.example/%{U}.pac");
  for (const char* bad : {"proxy-url = http://a b/\n", "proxy-url = \"http://a\"b\"\n",
                          "proxy-url = http://a/\x7f\n", "proxy-url = http://a/?x=1,2\n"})
    CHECK_THROWS_WITH(parse_config(std::string(kMinimal) + bad, "t", nullptr), Catch::Contains("proxy-url"));
}

TEST_CASE("config: net-priority, a TOS byte or a socket priority (ocserv's syntax)", "[config]") {
  auto tos = parse_config(std::string(kMinimal) + "net-priority = 0x28\n", "t", nullptr).net_priority;
  REQUIRE(tos);
  CHECK(tos->tos);
  CHECK(tos->value == 0x28);
  auto prio = parse_config(std::string(kMinimal) + "net-priority = 5\n", "t", nullptr).net_priority;
  REQUIRE(prio);
  CHECK_FALSE(prio->tos);
  CHECK(prio->value == 5);
  CHECK_FALSE(parse_config(std::string(kMinimal), "t", nullptr).net_priority);
  std::vector<ConfigWarning> w;
  (void)parse_config(std::string(kMinimal) + "net-priority = 7\n", "t", &w);
  REQUIRE(w.size() == 1);
  CHECK(w[0].text.find("not applied") != std::string::npos);
  for (const char* bad : {"0x", "0x100", "0xzz", "high", "-1"})
    CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "net-priority = " + bad + "\n", "t", nullptr),
                    ConfigError);
}

TEST_CASE("config: Debian's stock ocserv.conf lines", "[config]") {
  // What ocserv's Debian package ships: all of it is understood or knowingly ignored.
  std::string text = std::string(kMinimal) +
                     "socket-file = /run/ocserv-socket\n"
                     "rate-limit-ms = 100\n"
                     "mobile-dpd = 1800\n"
                     "try-mtu-discovery = false\n"
                     "rekey-time = 172800\n"
                     "rekey-method = ssl\n"
                     "log-level = 1\n"
                     "ping-leases = false\n"
                     "cisco-client-compat = true\n"
                     "client-bypass-protocol = false\n"
                     "cisco-svc-client-compat = false\n"
                     "server-stats-reset-time = 604800\n";
  std::vector<ConfigWarning> w;
  Config c = parse_config(text, "t", &w);
  CHECK(w.empty());
  CHECK(c.rate_limit_ms == 100);
  CHECK(c.mobile_dpd == 1800u);
  CHECK_FALSE(c.mobile_idle_timeout.has_value());
  CHECK(c.rekey_time == 172800);
  CHECK(c.log_level == 1);
  CHECK_FALSE(c.client_bypass_protocol);
  CHECK(c.server_stats_reset_time == 604800);
  // Asking for what sslvpnd does not do is said; a bad value is an error.
  (void)parse_config(std::string(kMinimal) + "try-mtu-discovery = true\nping-leases = true\n", "t", &w);
  REQUIRE(w.size() == 2);
  CHECK(w[0].text.find("try-mtu-discovery = true") != std::string::npos);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "rekey-method = sometimes\n", "t", nullptr),
                  ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "log-level = 12\n", "t", nullptr), ConfigError);
  CHECK(parse_config(std::string(kMinimal) + "rekey-time = 0\n", "t", nullptr).rekey_time == 0);
}

TEST_CASE("config: tcp-port = 0 makes an OpenVPN-only server", "[config]") {
  std::string m = std::string(kMinimal) + "tcp-port = 0\n";
  auto msg = [](const std::string& text) {
    try {
      (void)parse_config(text, "t", nullptr);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  CHECK(msg(m).find("needs an OpenVPN port") != std::string::npos);
  CHECK(parse_config(m + "openvpn-udp-port = 1194\n", "t", nullptr).tcp_port == 0);
  CHECK(parse_config(m + "openvpn-tcp-port = 1194\n", "t", nullptr).openvpn_tcp_port == 1194);
  CHECK(msg(m + "openvpn-udp-port = 1194\nudp-port = 443\n").find("'udp-port' (DTLS) needs") !=
        std::string::npos);
  CHECK(msg(m + "openvpn-udp-port = 1194\ngp-esp-port = 4501\n").find("'gp-esp-port' needs") !=
        std::string::npos);
}

TEST_CASE("config: openvpn-management on a network address needs a password", "[config]") {
  std::string m = std::string(kMinimal) + "openvpn-udp-port = 1194\n";
  CHECK(parse_config(m + "openvpn-management = 127.0.0.1 7505\n", "t", nullptr).openvpn_management ==
        "127.0.0.1 7505");
  CHECK(parse_config(m + "openvpn-management = /run/m.sock unix\n", "t", nullptr).openvpn_management ==
        "/run/m.sock unix");
  CHECK_THROWS_AS(parse_config(m + "openvpn-management = 0.0.0.0 7505\n", "t", nullptr), ConfigError);
  auto c = parse_config(m + "openvpn-management = 0.0.0.0 7505 /etc/sslvpnd/mgmt.pw\n", "t", nullptr);
  CHECK(c.openvpn_management_password_file == "/etc/sslvpnd/mgmt.pw");
  CHECK_THROWS_AS(parse_config(m + "openvpn-management = 7505\n", "t", nullptr), ConfigError);
}

TEST_CASE("config: bad values and missing required keys", "[config]") {
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "tcp-port = 70000\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "tcp-port = 12a\n", "t", nullptr), ConfigError);
  {  // a value that is no boolean loads (as in ocserv), with a warning; the key keeps its default
    std::vector<ConfigWarning> w;
    CHECK(parse_config(std::string(kMinimal) + "isolate-workers = maybe\n", "t", &w).isolate_workers);
    REQUIRE(w.size() == 1);
    CHECK(w[0].text.find("expects true or false, got 'maybe': the line is left out") != std::string::npos);
    CHECK(parse_config(std::string(kMinimal) + "listen-proxy-proto = true;\n", "t", &w).listen_proxy_proto ==
          false);
  }
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "no equals sign\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "[vhost:www.example.com]\n", "t", nullptr),
                  ConfigError);
  CHECK_THROWS_AS(parse_config("server-cert = a\nserver-key = b\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config("auth = \"plain[passwd=/p]\"\nserver-key = b\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config("auth = gssapi\nserver-cert = a\nserver-key = b\n", "t", nullptr),
                  ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "select-group = [x]\n", "t", nullptr), ConfigError);
}

TEST_CASE("config: a repeated single-value key warns and keeps the last", "[config]") {
  std::vector<ConfigWarning> w;
  Config c = parse_config(std::string(kMinimal) + "tcp-port = 1\ntcp-port = 2\n", "t", &w);
  CHECK(c.tcp_port == 2);
  REQUIRE(w.size() == 1);
  CHECK(w[0].line == 5);
}

TEST_CASE("config: auth method spec forms", "[config]") {
  auto m = parse_auth_method("plain[passwd=/a/b,otp=/c]");
  CHECK(m.name == "plain");
  CHECK(m.params.at("passwd") == "/a/b");
  CHECK(m.params.at("otp") == "/c");
  auto old = parse_auth_method("plain[/etc/ocserv/ocpasswd]");
  CHECK(old.params.at("passwd") == "/etc/ocserv/ocpasswd");
  auto bare = parse_auth_method("certificate");
  CHECK(bare.name == "certificate");
  CHECK(bare.params.empty());
  CHECK_THROWS_AS(parse_auth_method("plain[passwd=/x"), ConfigError);
}

TEST_CASE("config: tunnel network keys", "[config]") {
  std::string text = std::string(kMinimal) +
                     "ipv4-network = 192.168.99.0\n"
                     "ipv4-netmask = 255.255.255.0\n"
                     "ipv6-network = fd00:1234::/48\n"
                     "ipv6-subnet-prefix = 64\n"
                     "dns = 192.168.99.1\n"
                     "dns = fd00:1234::1\n"
                     "split-dns = corp.example\n"
                     "default-domain = example.com\n"
                     "route = 10.10.0.0/255.255.0.0\n"
                     "route = 172.16.0.0/12\n"
                     "no-route = 10.10.5.0/24\n"
                     "mtu = 1300\n"
                     "dpd = 30\n"
                     "idle-timeout = none\n"
                     "session-timeout = 3600\n"
                     "max-same-clients = 1\n"
                     "replace-same-clients = true\n"
                     "device = vpn\n";
  Config c = parse_config(text, "t", nullptr);
  REQUIRE(c.ipv4_network.has_value());
  CHECK(c.ipv4_network->to_string() == "192.168.99.0/24");
  REQUIRE(c.ipv6_network.has_value());
  CHECK(c.ipv6_network->to_string() == "fd00:1234::/48");
  CHECK(c.ipv6_subnet_prefix == 64);
  REQUIRE(c.dns.size() == 2);
  CHECK(c.dns[1].to_string() == "fd00:1234::1");
  CHECK(c.split_dns == std::vector<std::string>{"corp.example"});
  REQUIRE(c.routes.size() == 2);
  CHECK(c.routes[0].v4_with_netmask() == "10.10.0.0/255.255.0.0");
  CHECK_FALSE(c.route_default);
  REQUIRE(c.no_routes.size() == 1);
  CHECK(c.mtu == 1300);
  CHECK(c.dpd == 30);
  CHECK(c.idle_timeout == 0);
  CHECK(c.session_timeout == 3600);
  CHECK(c.max_same_clients == 1);
  CHECK(c.replace_same_clients);
  CHECK(c.device == "vpn");
  CHECK(parse_config(std::string(kMinimal) + "ipv4-network = 10.0.0.0/8\n", "t", nullptr).route_default);
  CHECK(parse_config(std::string(kMinimal) + "route = default\n", "t", nullptr).route_default);
}

TEST_CASE("config: bad tunnel network values", "[config]") {
  auto bad = [](const std::string& extra) {
    CHECK_THROWS_AS(parse_config(std::string(kMinimal) + extra, "t", nullptr), ConfigError);
  };
  bad("ipv4-network = 10.0.0.0\n");
  bad("ipv4-network = 10.0.0.0/33\n");
  bad("ipv4-network = 10.0.0.0/31\n");
  bad("ipv4-network = 10.0.0.0\nipv4-netmask = 255.0.255.0\n");
  bad("ipv4-netmask = 255.255.255.0\n");
  bad("ipv6-network = 10.0.0.0/8\n");
  bad("ipv6-network = fd00::/64\nipv6-subnet-prefix = 48\n");
  bad("dns = not-an-address\n");
  bad("route = 10.0.0.0/40\n");
  bad("mtu = 100\n");
  bad("device = a/b\n");
}

TEST_CASE("config: auth lines combine, enable-auth adds alternatives", "[config][auth]") {
  const std::string tail = "server-cert = a\nserver-key = b\nca-cert = /ca.pem\n";
  Config c = parse_config(
      "auth = certificate\nauth = \"pam[gid-min=1000]\"\nenable-auth = \"plain[passwd=/p]\"\n" + tail, "t",
      nullptr);
  REQUIRE(c.auth_chains.size() == 2);
  CHECK(c.auth_chains[0].certificate);
  REQUIRE(c.auth_chains[0].password);
  CHECK(c.auth_chains[0].password->name == "pam");
  CHECK(c.auth_chains[0].password->params.at("service") == "sslvpnd");  // the default service
  CHECK_FALSE(c.auth_chains[1].certificate);
  CHECK(c.auth_chains[1].password->name == "plain");
  CHECK(c.cert_login_mode() == 1);
  CHECK(parse_config("auth = certificate\n" + tail, "t", nullptr).cert_login_mode() == 2);
  CHECK(parse_config("auth = \"plain[otp=/o]\"\n" + tail, "t", nullptr).cert_login_mode() == 0);
  // Two password methods in one chain, certificate without a CA, bad OIDs: errors.
  CHECK_THROWS_AS(parse_config("auth = pam\nauth = \"plain[passwd=/p]\"\n" + tail, "t", nullptr),
                  ConfigError);
  CHECK_THROWS_AS(parse_config("auth = certificate\nserver-cert = a\nserver-key = b\n", "t", nullptr),
                  ConfigError);
  CHECK_THROWS_AS(parse_config("enable-auth = pam\n" + tail, "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config("auth = pam\ncert-user-oid = CN\n" + tail, "t", nullptr), ConfigError);
  CHECK(parse_config("auth = pam\ncert-user-oid = SAN(rfc822name)\n" + tail, "t", nullptr).cert_user_oid ==
        "SAN(rfc822name)");
  CHECK_THROWS_AS(parse_config("auth = \"pam[gid-min=x]\"\n" + tail, "t", nullptr), ConfigError);
}

TEST_CASE("config: ocserv's other names for keys, and its deprecated keys", "[config]") {
  // src/config.c reads ipv4-dns and ipv6-dns as dns, ipv4-nbns and ipv6-nbns as nbns.
  std::vector<ConfigWarning> w;
  auto c = parse_config(std::string(kMinimal) +
                            "ipv4-dns = 192.0.2.53\nipv6-dns = 2001:db8::53\ndns = 192.0.2.54\n"
                            "ipv4-nbns = 192.0.2.137\nipv6-nbns = 2001:db8::137\n",
                        "t", &w);
  REQUIRE(c.dns.size() == 3);
  CHECK(c.dns[0].to_string() == "192.0.2.53");
  CHECK(c.dns[1].to_string() == "2001:db8::53");
  CHECK(c.nbns.size() == 2);
  CHECK(w.empty());
  // Keys ocserv 1.x still reads (with a deprecation note, or without effect on Linux) load with
  // a warning, never an error.
  for (const char* key :
       {"debug-no-secmod-stats = true", "session-control = true", "cgroup = cpuset,cpu:test"}) {
    std::vector<ConfigWarning> ww;
    CHECK_NOTHROW(parse_config(std::string(kMinimal) + key + "\n", "t", &ww));
    CHECK(ww.size() == 1);
  }
  CHECK(parse_config(std::string(kMinimal) + "use-occtl = false\nuse-dbus = true\n", "t", nullptr).use_occtl);
  // cisco-client-compat implies dtls-legacy (ocserv turns it on, with a note).
  std::vector<ConfigWarning> cw;
  CHECK(parse_config(std::string(kMinimal) + "cisco-client-compat = true\ndtls-legacy = false\n", "t", &cw)
            .dtls_legacy);
  CHECK(cw.size() == 1);
  CHECK_FALSE(parse_config(std::string(kMinimal) + "dtls-legacy = false\n", "t", nullptr).dtls_legacy);
  // ... also a host's (dtls-legacy is server-wide).
  std::vector<ConfigWarning> vw;
  CHECK(parse_config(std::string(kMinimal) +
                         "dtls-legacy = false\n[vhost:cisco.example.com]\nauth = \"plain[passwd=/p2]\"\n"
                         "server-cert = /c2.pem\nserver-key = /k2.pem\ncisco-client-compat = true\n",
                     "t", &vw)
            .dtls_legacy);
  CHECK(std::any_of(vw.begin(), vw.end(), [](const ConfigWarning& x) {
    return x.text.find("[vhost:cisco.example.com]'s 'cisco-client-compat' implies") != std::string::npos;
  }));
  // ocserv's older name for cisco-client-compat: `false` turns it on; a later line decides.
  CHECK(parse_config(std::string(kMinimal) + "always-require-cert = false\n", "t", nullptr)
            .cisco_client_compat);
  CHECK_FALSE(
      parse_config(std::string(kMinimal) + "always-require-cert = true\n", "t", nullptr).cisco_client_compat);
  CHECK_FALSE(
      parse_config(std::string(kMinimal) + "always-require-cert = false\ncisco-client-compat = false\n", "t",
                   nullptr)
          .cisco_client_compat);
}

TEST_CASE("config: the ocserv key table agrees with the parser", "[config]") {
  size_t n = 0;
  for (const auto& k : ocserv_keys()) {
    INFO(k.key);
    ++n;
    switch (k.status) {
      case KeyStatus::Implemented:
      case KeyStatus::Partial:
      case KeyStatus::NoEffect:
        CHECK(parser_knows_key(k.key));  // the parser handles it
        break;
      case KeyStatus::Alias:
        CHECK(canonical_key(k.key) != k.key);
        CHECK(parser_knows_key(canonical_key(k.key)));
        break;
      case KeyStatus::Warned: {
        CHECK_FALSE(parser_knows_key(k.key));  // implemented keys must not stay "warned"
        std::vector<ConfigWarning> w;
        std::string text =
            "auth = \"plain[passwd=/p]\"\nserver-cert = c\nserver-key = k\n" + std::string(k.key) + " = 1\n";
        (void)parse_config(text, "t.conf", &w);
        REQUIRE(w.size() == 1);
        CHECK(w[0].text.find("'" + std::string(k.key) + "' ") == 0);
        if (k.note == "not implemented yet")
          CHECK(w[0].text.find("is an ocserv option that sslvpnd does not implement yet") !=
                std::string::npos);
        else
          CHECK(w[0].text.find("is ignored: " + std::string(k.note)) != std::string::npos);
        break;
      }
    }
    if (k.status != KeyStatus::Implemented) CHECK_FALSE(k.note.empty());  // every other row says why
  }
  CHECK(n > 130);
  auto md = ocserv_keys_markdown();
  CHECK(md.find("| `listen-proxy-proto` | implemented |") != std::string::npos);
  CHECK(md.find("| `ipv4-dns` | another name for | `dns` |") != std::string::npos);
}

TEST_CASE("config: restrict-user-to-ports in ocserv's syntax", "[config]") {
  std::string error;
  auto f = parse_port_filter("tcp(443), tcp(80), UDP(53), icmp(), icmpv6(), esp(), sctp(99)", &error);
  REQUIRE(f);
  CHECK_FALSE(f->deny);
  REQUIRE(f->rules.size() == 7);
  CHECK(f->rules[0].protocol == 6);
  CHECK(f->rules[0].port == 443);
  CHECK(f->rules[3].protocol == 1);
  CHECK(f->rules[3].port == 0);
  CHECK(port_filter_text(*f) == "tcp(443), tcp(80), udp(53), icmp(), icmpv6(), esp(), sctp(99)");
  CHECK(port_filter_env(*f) == "tcp 443 tcp 80 udp 53 icmp all icmpv6 all esp all sctp 99");
  auto d = parse_port_filter("!( tcp(22), udp(111) )", &error);
  REQUIRE(d);
  CHECK(d->deny);
  CHECK(port_filter_text(*d) == "!(tcp(22), udp(111))");
  for (const char* bad : {"tcp(22),", "!tcp(22)", "gre()", "tcp(70000)", "tcp(0)", "tcp 22",
                          "tcp(22) udp(53)", "", "tcp(2x)", "icmp(5)", "esp(50)"})
    CHECK_FALSE(parse_port_filter(bad, &error));
  std::vector<ConfigWarning> w;
  auto cfg =
      parse_config(std::string(kMinimal) + "restrict-user-to-ports = \"udp(53), tcp(443)\"\n", "t", &w);
  CHECK(cfg.restrict_user_to_ports == "udp(53), tcp(443)");
  CHECK_THROWS_WITH(parse_config(std::string(kMinimal) + "restrict-user-to-ports = tcp(22),\n", "t", &w),
                    Catch::Contains("restrict-user-to-ports"));
}

TEST_CASE("config: [vhost:NAME] sections are configurations of their own", "[config][vhost]") {
  std::string text = std::string(kMinimal) +
                     "tcp-port = 8443\nmax-clients = 7\nipv4-network = 10.1.0.0/24\ndns = 10.1.0.1\n"
                     "tls-priorities = NORMAL\n"
                     "[vhost: Cert.Example.COM ]\n"
                     "auth = certificate\nca-cert = /ca.pem\nserver-cert = /c2.pem\nserver-key = /k2.pem\n"
                     "ipv4-network = 10.2.0.0/24\n"
                     "tcp-port = 9999\n"  // server-wide: ignored with a warning
                     "[vhost:pass2.example.com]\n"
                     "auth = \"plain[passwd=/p2]\"\nserver-cert = /c3.pem\nserver-key = /k3.pem\n"
                     "ipv4-network = 10.1.0.0/24\ntls-priorities = SECURE256\n"
                     "[vhost:cert.example.com]\n"  // the same host again: adds to it
                     "banner = hello\n";
  std::vector<ConfigWarning> w;
  Config c = parse_config(text, "t", &w);
  REQUIRE(c.vhosts.size() == 2);
  CHECK(c.vhost.empty());
  const Config& cert = *c.vhosts[0].config;
  CHECK(c.vhosts[0].name == "cert.example.com");
  CHECK(cert.vhost == "cert.example.com");
  CHECK(cert.cert_login_mode() == 2);
  CHECK(cert.server_cert == "/c2.pem");
  CHECK(cert.banner == "hello");
  CHECK(cert.ipv4_network->to_string() == "10.2.0.0/24");
  CHECK(cert.dns.empty());       // not inherited (ocserv's rule)
  CHECK(cert.tcp_port == 8443);  // server-wide: the global value
  CHECK(cert.max_clients == 7);
  CHECK(cert.tls_priorities == "NORMAL");  // unset in the section: the default's
  CHECK(c.vhosts[1].config->tls_priorities == "SECURE256");
  bool warned = false;
  for (const auto& x : w)
    warned = warned || x.text.find("'tcp-port' applies to the whole server") != std::string::npos;
  CHECK(warned);
  // Lookup by TLS server name, case-insensitively; unknown names get the default.
  CHECK(&c.for_host("CERT.example.com") == &cert);
  CHECK(&c.for_host("other.example.com") == &c);
  CHECK(&c.for_host("") == &c);
}

TEST_CASE("config: bad [vhost] sections are refused", "[config][vhost]") {
  std::string host = "auth = certificate\nca-cert = /ca.pem\nserver-cert = /c2.pem\nserver-key = /k2.pem\n";
  // A section without its own auth and certificate, an unknown section, a bad name.
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "[vhost:a.example]\nbanner = x\n", "t", nullptr),
                  ConfigError);
  {  // another section is skipped with its keys, with a warning (as ocserv)
    std::vector<ConfigWarning> w;
    Config c =
        parse_config(std::string(kMinimal) + "[global]\n" + host + "[vhost:b.example]\n" + host, "t", &w);
    CHECK(c.vhosts.size() == 1);
    CHECK(c.ca_cert.empty());  // [global]'s keys went nowhere
    REQUIRE_FALSE(w.empty());
    CHECK(w[0].text.find("unknown section '[global]'") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "[vhost:a b]\n" + host, "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "[vhost:]\n" + host, "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "[vhost:default]\n" + host, "t", nullptr),
                  ConfigError);
  // Overlapping networks would lease one address twice; equal ones share a pool.
  std::string base = std::string(kMinimal) + "ipv4-network = 10.1.0.0/16\n";
  CHECK_THROWS_AS(
      parse_config(base + "[vhost:a.example]\n" + host + "ipv4-network = 10.1.2.0/24\n", "t", nullptr),
      ConfigError);
  CHECK_NOTHROW(
      parse_config(base + "[vhost:a.example]\n" + host + "ipv4-network = 10.1.0.0/16\n", "t", nullptr));
  // An error inside a section names it.
  try {
    parse_config(std::string(kMinimal) + "[vhost:a.example]\n" + host + "dpd = soon\n", "t", nullptr);
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("[vhost:a.example]") != std::string::npos);
  }
}

TEST_CASE("config: ocserv's gssapi and oidc methods are left out with a warning; pam accounting is taken",
          "[config]") {
  std::string base = "server-cert = /c.pem\nserver-key = /k.pem\n";
  std::vector<ConfigWarning> w;
  // ocserv's tests/data/kerberos.config: pam, or gssapi as an alternative.
  Config c =
      parse_config(base + "auth = pam\nenable-auth = gssapi[tgt-freshness-time=60]\nacct = pam\n", "t", &w);
  REQUIRE(c.auth_chains.size() == 1);
  CHECK(c.auth_chains[0].password->name == "pam");
  CHECK_FALSE(c.acct);                     // no RADIUS accounting
  CHECK(c.acct_pam_service == "sslvpnd");  // PAM's account checks, with the default stack
  int named = 0;
  for (const auto& x : w) named += x.text.find("'gssapi'") != std::string::npos;
  CHECK(named >= 1);
  CHECK(parse_config(base + "auth = plain[passwd=/p]\nacct = pam[service=vpn-acct]\n", "t", nullptr)
            .acct_pam_service == "vpn-acct");
  CHECK_THROWS_AS(parse_config(base + "auth = plain[passwd=/p]\nacct = pam[service=../x]\n", "t", nullptr),
                  ConfigError);
  // gssapi first, a certificate as the alternative: the certificate is what is left.
  c = parse_config(
      base + "auth = gssapi[require-local-user-map=false]\nenable-auth = certificate\nca-cert = /ca\n", "t",
      nullptr);
  REQUIRE(c.auth_chains.size() == 1);
  CHECK(c.auth_chains[0].certificate);
  CHECK(c.cert_login_mode() == 2);
  // Nothing left to log in with, or a method nobody has: errors.
  CHECK_THROWS_AS(parse_config(base + "auth = oidc[config=/x.json]\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config(base + "auth = kerberos5\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config(base + "auth = plain[passwd=/p]\nacct = sql\n", "t", nullptr), ConfigError);
}

TEST_CASE("config: lines as ocserv's reader takes them", "[config][ocserv]") {
  // inih as ocserv builds it: a '#' after a blank starts a comment, "key: value" works, a
  // byte order mark is skipped; method names have no case; enable-auth may come first.
  std::string text =
      "\xEF\xBB\xBF"
      "enable-auth = \"PLAIN[passwd=/p2]\"\n"
      "auth = \"PAM\"  # the system's accounts\n"
      "server-cert = /c.pem\nserver-key = /k.pem\n"
      "mtu: 1400 # tuned\n"
      "banner = Hello#1 # not this\n"
      "pre-login-banner = \"Welcome #2\" # but this is a comment\n"
      "compression-algo-priority = LZS:90\n"
      "route = ::/0\n"
      "route = 10.1.0.0/16\n";
  Config c = parse_config(text, "t", nullptr);
  CHECK(c.mtu == 1400);
  CHECK(c.banner == "Hello#1");
  CHECK(c.pre_login_banner == "Welcome #2");
  CHECK(c.lzs_priority == 90);
  REQUIRE(c.auth_chains.size() == 2);
  REQUIRE(c.auth_chains[0].password);
  CHECK(c.auth_chains[0].password->name == "pam");
  CHECK(c.auth_chains[1].password->name == "plain");
  // ::/0 is an IPv6 route (ocserv takes only 0.0.0.0/0 and "default" as everything)
  CHECK_FALSE(c.route_default);
  REQUIRE(c.routes.size() == 2);
  CHECK(c.routes[0].to_string() == "::/0");
  CHECK(parse_config(std::string(kMinimal) + "route = 0.0.0.0/0\nroute = 10.1.0.0/16\n", "t", nullptr)
            .route_default);
  // enable-auth alone is still no login method
  CHECK_THROWS_AS(parse_config("enable-auth = pam\nserver-cert = a\nserver-key = b\n", "t", nullptr),
                  ConfigError);
}

TEST_CASE("config: several server-cert/server-key pairs, as ocserv takes them", "[config][ocserv]") {
  std::vector<ConfigWarning> w;
  Config c = parse_config(std::string(kMinimal) + "server-cert = /rsa.pem\nserver-key = /rsa.key\n", "t", &w);
  CHECK(c.server_cert == "/c.pem");
  CHECK(c.server_key == "/k.pem");
  CHECK(c.more_server_certs == std::vector<std::string>{"/rsa.pem"});
  CHECK(c.more_server_keys == std::vector<std::string>{"/rsa.key"});
  CHECK(w.empty());
  // Each key belongs to a certificate: counts that differ are refused, naming both.
  try {
    (void)parse_config(std::string(kMinimal) + "server-cert = /rsa.pem\n", "t", nullptr);
    FAIL("a certificate without its key was accepted");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("2 certificates, 1 keys") != std::string::npos);
  }
  std::string many = kMinimal;
  for (int i = 0; i < 4; ++i) many += "server-cert = /x.pem\nserver-key = /x.key\n";
  CHECK_THROWS_AS(parse_config(many, "t", nullptr), ConfigError);  // at most kMaxCertPairs (4)
  // A [vhost:] section has pairs of its own.
  Config v = parse_config(std::string(kMinimal) +
                              "[vhost:a.example]\nauth = pam\nserver-cert = /a1.pem\nserver-key = /a1.key\n"
                              "server-cert = /a2.pem\nserver-key = /a2.key\n",
                          "t", nullptr);
  REQUIRE(v.vhosts.size() == 1);
  CHECK(v.vhosts[0].config->server_cert == "/a1.pem");
  CHECK(v.vhosts[0].config->more_server_certs == std::vector<std::string>{"/a2.pem"});
  CHECK(v.more_server_certs.empty());
}

TEST_CASE("config: ocserv's ipv6-prefix gives a bare ipv6-network its prefix", "[config][ocserv]") {
  Config c = parse_config(std::string(kMinimal) + "ipv6-network = fda9:4efe:7e3b:3ea::\nipv6-prefix = 48\n",
                          "t", nullptr);
  REQUIRE(c.ipv6_network);
  CHECK(c.ipv6_network->to_string() == "fda9:4efe:7e3b::/48");
  CHECK(parse_config(std::string(kMinimal) + "ipv6-network = fd00:1::/64\n", "t", nullptr)
            .ipv6_network->prefix == 64);
  // no prefix at all: refused (it used to be a /128, one address)
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "ipv6-network = fd00:1::\n", "t", nullptr),
                  ConfigError);
}

TEST_CASE("config: a key URL is refused with a reason", "[config][ocserv]") {
  try {
    (void)parse_config("auth = pam\nserver-cert = /c.pem\nserver-key = pkcs11:object=vpn;type=private\n", "t",
                       nullptr);
    FAIL("accepted");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("key URLs") != std::string::npos);
  }
}

TEST_CASE("config: times and rates over sslvpnd's bounds are capped with a warning", "[config][ocserv]") {
  // ocserv reads any int; a configuration it loads must load here too.
  std::vector<ConfigWarning> w;
  Config c = parse_config(std::string(kMinimal) +
                              "cookie-timeout = 5184000\nrate-limit-ms = 100000\nauth-timeout = 100000\n"
                              "idle-timeout = 40000000\nsession-timeout = unlimited\n",
                          "t", &w);
  CHECK(c.cookie_timeout == 86400 * 30);
  CHECK(c.rate_limit_ms == 60000);
  CHECK(c.auth_timeout == 86400);
  CHECK(c.idle_timeout == 86400 * 365);
  CHECK(c.session_timeout == 0);
  REQUIRE(w.size() == 4);
  CHECK(w[0].text.find("'cookie-timeout = 5184000' is more than sslvpnd takes; 2592000 is used") !=
        std::string::npos);
  // not numbers, or beyond 32 bits: still refused
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "cookie-timeout = 1d\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "dpd = 99999999999\n", "t", nullptr), ConfigError);
}

TEST_CASE("config: device names as long as ocserv takes", "[config][ocserv]") {
  std::vector<ConfigWarning> w;
  CHECK(parse_config(std::string(kMinimal) + "device = vpn-office\n", "t", &w).device == "vpn-office");
  CHECK(w.empty());
  CHECK(parse_config(std::string(kMinimal) + "device = vpn-offices-1\n", "t", &w).device == "vpn-offices-1");
  REQUIRE(w.size() == 1);
  CHECK(w[0].text.find("at most 100 tunnels") != std::string::npos);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "device = vpn-offices-12\n", "t", nullptr),
                  ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "device = vpn%d\n", "t", nullptr), ConfigError);
}
