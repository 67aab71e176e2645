#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "main/connect_output.hpp"
#include "main/scripts.hpp"

using namespace sslvpn;
using namespace sslvpn::mainproc;

namespace {

ConnectOutput parse(std::string_view text) {
  std::string error;
  auto r = parse_connect_output(text, &error);
  INFO(error);
  REQUIRE(r.ok());
  return *r;
}

std::vector<std::string> list(const google::protobuf::RepeatedPtrField<std::string>& l) {
  return {l.begin(), l.end()};
}

IpNet net(const char* s) {
  return parse_ip_net(s).value();
}

}  // namespace

TEST_CASE("connect output: openvpn's client-connect syntax", "[connect-output]") {
  auto o = parse(
      "# written by the script\n"
      "; also a comment\n"
      "push \"route 192.0.2.0 255.255.255.0\"\n"
      "push \"route 198.51.100.7\"\r\n"
      "push 'route 203.0.113.0 255.255.255.0 net_gateway'\n"
      "push \"route-ipv6 2001:db8:5::/48\"\n"
      "push \"route-ipv6 2001:db8:6::/48 net_gateway\"\n"
      "push \"dhcp-option DNS 10.9.9.9\"\n"
      "push \"dhcp-option DNS6 2001:db8::53\"\n"
      "push \"dhcp-option DNS 10.9.9.9\"\n"
      "push \"dhcp-option DOMAIN corp.example\"\n"
      "  push   \"route   10.20.0.0   255.255.0.0 vpn_gateway 5\"  \n"
      "ifconfig-push 10.8.0.9 255.255.255.0\n"
      "push \"route-gateway 10.8.0.1\"\n"
      "push \"route not-an-address 255.0.0.0\"\n"
      "iroute 172.16.0.0 255.255.0.0\n"
      "iroute 172.17.0.9\n"
      "iroute-ipv6 2001:db8:77::/64\n"
      "iroute 172.16.0.0 255.255.0.0\n"
      "iroute-ipv6 172.18.0.0/16\n"
      "iroute not-a-net\n"
      "\n");
  CHECK_FALSE(o.disable);
  CHECK_FALSE(o.push_reset);
  CHECK_FALSE(o.redirect4);
  CHECK_FALSE(o.redirect6);
  REQUIRE(o.routes.size() == 4);
  CHECK(o.routes[0].to_string() == "192.0.2.0/24");
  CHECK(o.routes[1].to_string() == "198.51.100.7/32");
  CHECK(o.routes[2].to_string() == "2001:db8:5::/48");
  CHECK(o.routes[3].to_string() == "10.20.0.0/16");
  REQUIRE(o.no_routes.size() == 2);
  CHECK(o.no_routes[0].to_string() == "203.0.113.0/24");
  CHECK(o.no_routes[1].to_string() == "2001:db8:6::/48");
  REQUIRE(o.dns.size() == 2);  // the repeated one once
  CHECK(o.dns[0].to_string() == "10.9.9.9");
  CHECK(o.dns[1].to_string() == "2001:db8::53");
  CHECK(o.domain == "corp.example");
  REQUIRE(o.ifconfig4);  // the client's address (applied from a client-config-dir file)
  CHECK(o.ifconfig4->to_string() == "10.8.0.9");
  CHECK_FALSE(o.ifconfig6);
  CHECK(parse("ifconfig-ipv6-push fd00:8::9/64 fd00:8::1\n").ifconfig6->to_string() == "fd00:8::9");
  CHECK_FALSE(parse("ifconfig-push fd00::9\n").ifconfig4);
  CHECK(o.ignored == std::vector<std::string>{"push \"route-gateway 10.8.0.1\"",
                                              "push \"route not-an-address 255.0.0.0\"",
                                              "iroute-ipv6 172.18.0.0/16", "iroute not-a-net"});
  // iroutes: a network behind the client (mask "default" or none: a host), each once
  REQUIRE(o.iroutes.size() == 3);
  CHECK(o.iroutes[0].to_string() == "172.16.0.0/16");
  CHECK(o.iroutes[1].to_string() == "172.17.0.9/32");
  CHECK(o.iroutes[2].to_string() == "2001:db8:77::/64");
  CHECK(parse("iroute 10.0.0.0 255.0.0.0\npush-reset\n").iroutes.size() == 1);  // not a push
  // a default route as an iroute would replace the server's own: not applied
  auto d = parse("iroute 0.0.0.0 0.0.0.0\niroute-ipv6 ::/0\n");
  CHECK(d.iroutes.empty());
  CHECK(d.ignored.size() == 2);

  // openvpn's reading: comments at any word, backslashes, quotes that end a word
  auto c = parse(
      "push \"route 192.0.2.0 255.255.255.0\" # the office\n# don't\n; it's\n"
      "push route\\ 192.0.2.64\\ 255.255.255.192\npush \"route 192.0.2.128 default\"\n");
  REQUIRE(c.routes.size() == 3);
  CHECK(c.routes[1].to_string() == "192.0.2.64/26");
  CHECK(c.routes[2].to_string() == "192.0.2.128/32");
  CHECK(c.ignored.empty());
  // a route via another gateway is not ours to make; 0.0.0.0/0 is all of IPv4, ::/0 all of IPv6
  auto g = parse("push \"route 192.0.2.0 255.255.255.0 10.8.0.254\"\npush \"route-ipv6 2001:db8::5\"\n");
  REQUIRE(g.routes.size() == 1);
  CHECK(g.routes[0].to_string() == "2001:db8::5/128");
  CHECK(g.ignored.size() == 1);
  auto all4 = parse("push \"route 0.0.0.0 0.0.0.0\"");
  CHECK(all4.redirect4);
  CHECK_FALSE(all4.redirect6);
  CHECK(all4.routes.empty());
  auto all6 = parse("push \"route-ipv6 ::/0\"");
  CHECK_FALSE(all6.redirect4);
  CHECK(all6.redirect6);
  CHECK(all6.routes.empty());
  CHECK(parse("push \"route 0.0.0.0 0.0.0.0 net_gateway\"").no_routes.size() == 1);  // not a redirect
  // redirect-gateway's flags, as openvpn reads them: IPv4 unless !ipv4, IPv6 with ipv6
  auto rg = [&](const char* flags) {
    auto o = parse(std::string("push \"redirect-gateway") + flags + "\"");
    return std::pair{o.redirect4, o.redirect6};
  };
  CHECK(rg("") == std::pair{true, false});
  CHECK(rg(" def1 bypass-dhcp") == std::pair{true, false});
  CHECK(rg(" def1 ipv6") == std::pair{true, true});
  CHECK(rg(" ipv6 !ipv4") == std::pair{false, true});
  CHECK(rg(" !ipv4") == std::pair{false, false});
  // push-reset drops what was pushed before it
  auto r = parse(
      "push \"route 192.0.2.0 255.255.255.0\"\npush \"dhcp-option DNS 10.9.9.9\"\n"
      "push \"redirect-gateway def1\"\npush-reset\npush \"route 198.51.100.0 255.255.255.0\"\n");
  CHECK(r.push_reset);
  CHECK_FALSE(r.redirect4);
  REQUIRE(r.routes.size() == 1);
  CHECK(r.routes[0].to_string() == "198.51.100.0/24");
  CHECK(r.dns.empty());
  // a domain that would end an option in a PUSH_REPLY, or a header line, is not taken
  CHECK(parse("push \"dhcp-option DOMAIN a,route 10.0.0.0 255.0.0.0\"").domain.empty());
  CHECK(parse("push \"dhcp-option DOMAIN 'a b'\"").domain.empty());
  CHECK(parse("push \"dhcp-option DOMAIN corp-1.example_x\"").domain == "corp-1.example_x");

  auto wins = parse(
      "push \"dhcp-option WINS 10.9.9.8\"\npush \"dhcp-option WINS fd00::8\"\n"
      "push \"dhcp-option DOMAIN-SEARCH a.example\"\npush \"dhcp-option DOMAIN-SEARCH a,b\"\n");
  REQUIRE(wins.nbns.size() == 1);
  CHECK(wins.nbns[0].to_string() == "10.9.9.8");
  CHECK(wins.split_dns == std::vector<std::string>{"a.example"});
  CHECK(wins.ignored.size() == 2);  // an IPv6 WINS server, a domain with a comma
  CHECK(parse("disable\n").disable);
  CHECK(parse("push-reset\npush \"redirect-gateway def1 bypass-dhcp\"").push_reset);
  CHECK(parse("").routes.empty());
  CHECK(parse("disable-not\n").ignored.size() == 1);  // only the word itself disables
}

TEST_CASE("connect output: malformed and oversized output is refused", "[connect-output]") {
  std::string error;
  CHECK_FALSE(parse_connect_output("push \"route 10.0.0.0 255.0.0.0\n", &error).ok());
  CHECK(error.find("line 1") != std::string::npos);
  CHECK_FALSE(parse_connect_output("\n\npush \"route 'x\"\n", &error).ok());
  CHECK(error.find("line 3") != std::string::npos);
  CHECK_FALSE(parse_connect_output(std::string(kMaxConnectOutput + 1, '#'), &error).ok());
  std::string many;
  for (size_t i = 0; i <= kMaxConnectEntries; ++i)
    many +=
        "push \"route 10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0 255.255.255.0\"\n";
  CHECK_FALSE(parse_connect_output(many, &error).ok());
  CHECK(error.find("more than") != std::string::npos);
  std::string ignored;
  for (size_t i = 0; i < 2 * kMaxConnectEntries; ++i) ignored += "topology subnet\n";
  auto r = parse_connect_output(ignored, &error);
  REQUIRE(r.ok());
  CHECK(r->ignored.size() == kMaxConnectEntries);  // kept for the log, bounded
}

TEST_CASE("connect output: applied over the session's settings", "[connect-output]") {
  ipc::UserSettings base;
  Config cfg;
  cfg.routes = {net("10.0.0.0/8")};
  cfg.no_routes = {net("10.99.0.0/16")};
  cfg.dns = {parse_ip("10.0.0.53").value()};
  cfg.nbns = {parse_ip("10.0.0.54").value()};
  cfg.split_dns = {"corp.example"};
  std::vector<IpNet> vpn{net("10.8.0.0/24")};
  auto with_default = [&](bool route_default) {
    Config c = cfg;
    c.route_default = route_default;
    return c;
  };
  auto apply = [&](const ipc::UserSettings& b, bool route_default, std::string_view text) {
    return apply_connect_output(b, with_default(route_default), vpn, parse(text));
  };

  // Routes add to the configuration's; DNS servers to the configuration's.
  auto s = apply(base, false, "push \"route 192.0.2.0 255.255.255.0\"\npush \"dhcp-option DNS 10.9.9.9\"");
  CHECK(list(s.routes()) == std::vector<std::string>{"10.0.0.0/8", "192.0.2.0/24"});
  CHECK(list(s.dns()) == std::vector<std::string>{"10.0.0.53", "10.9.9.9"});
  CHECK(s.no_routes_size() == 0);  // none pushed: the configuration's stay

  // ... and to the user's own when it has some.
  ipc::UserSettings user;
  user.add_routes("172.16.0.0/12");
  user.add_dns("172.16.0.53");
  s = apply(user, false, "push \"route 192.0.2.0 255.255.255.0\"\npush \"dhcp-option DNS 10.9.9.9\"");
  CHECK(list(s.routes()) == std::vector<std::string>{"172.16.0.0/12", "192.0.2.0/24"});
  CHECK(list(s.dns()) == std::vector<std::string>{"172.16.0.53", "10.9.9.9"});

  // Everything through the tunnel already: a pushed route changes nothing.
  s = apply(base, true, "push \"route 192.0.2.0 255.255.255.0\"");
  CHECK(list(s.routes()) == std::vector<std::string>{"default", "10.0.0.0/8"});

  // push-reset: replaced, the client's own VPN network first (never "everything" by an empty list).
  s = apply(base, true,
            "push-reset\npush \"route 192.0.2.0 255.255.255.0\"\npush \"dhcp-option DNS 10.9.9.9\"");
  CHECK(list(s.routes()) == std::vector<std::string>{"10.8.0.0/24", "192.0.2.0/24"});
  CHECK(list(s.dns()) == std::vector<std::string>{"10.9.9.9"});
  CHECK(s.pushed_reset());
  s = apply(base, true, "push-reset");
  CHECK(list(s.routes()) == std::vector<std::string>{"10.8.0.0/24"});
  // nothing pushed after it: no DNS servers, no no-routes, no domains (not the configuration's)
  CHECK(s.pushed_reset());
  CHECK(s.dns_size() == 0);
  CHECK(s.no_routes_size() == 0);
  ipc::UserSettings named;
  named.add_dns("172.16.0.53");
  named.add_nbns("172.16.0.54");
  named.add_split_dns("corp.example");
  named.set_default_domain("corp.example");
  s = apply(named, false, "push-reset\npush \"dhcp-option DOMAIN other.example\"");
  CHECK(s.dns_size() == 0);
  CHECK(s.nbns_size() == 0);
  CHECK(s.split_dns_size() == 0);
  CHECK(s.default_domain() == "other.example");
  CHECK_FALSE(apply(named, false, "push \"dhcp-option DNS 10.9.9.9\"").pushed_reset());
  // WINS and DOMAIN-SEARCH: NBNS servers and split-DNS domains, added to the configuration's,
  // or alone after push-reset
  s = apply(base, false,
            "push \"dhcp-option WINS 10.9.9.8\"\npush \"dhcp-option DOMAIN-SEARCH lab.example\"");
  CHECK(list(s.nbns()) == std::vector<std::string>{"10.0.0.54", "10.9.9.8"});
  CHECK(list(s.split_dns()) == std::vector<std::string>{"corp.example", "lab.example"});
  s = apply(base, false, "push-reset\npush \"dhcp-option DOMAIN-SEARCH lab.example\"");
  CHECK(list(s.split_dns()) == std::vector<std::string>{"lab.example"});
  CHECK(s.nbns_size() == 0);
  s = apply(base, true, "push-reset\npush \"route-ipv6 2001:db8::/32\"");  // an IPv4-only session
  CHECK(list(s.routes()) == std::vector<std::string>{"10.8.0.0/24", "2001:db8::/32"});
  s = apply_connect_output(base, with_default(true), {net("fd00:8::/64")}, parse("push-reset"));
  CHECK(list(s.routes()) == std::vector<std::string>{"fd00:8::/64"});  // an IPv6-only one

  // redirect-gateway: everything when it covers each family the session has (IPv4 here)...
  s = apply(base, false, "push \"redirect-gateway def1\"");
  CHECK(list(s.routes()) == std::vector<std::string>{"10.0.0.0/8", "default"});
  // ... else all of the one family: IPv4 as def1 routes it, IPv6 as ::/0.
  std::vector<IpNet> dual{net("10.8.0.0/24"), net("fd00:8::/64")};
  auto apply2 = [&](std::string_view text) {
    return list(apply_connect_output(base, cfg, dual, parse(text)).routes());
  };
  CHECK(apply2("push \"redirect-gateway def1\"") ==
        std::vector<std::string>{"10.0.0.0/8", "0.0.0.0/1", "128.0.0.0/1"});
  CHECK(apply2("push \"route 0.0.0.0 0.0.0.0\"") ==
        std::vector<std::string>{"10.0.0.0/8", "0.0.0.0/1", "128.0.0.0/1"});
  CHECK(apply2("push \"redirect-gateway ipv6 !ipv4\"") == std::vector<std::string>{"10.0.0.0/8", "::/0"});
  CHECK(apply2("push \"redirect-gateway def1 ipv6\"") == std::vector<std::string>{"10.0.0.0/8", "default"});
  CHECK(apply2("push \"redirect-gateway def1\"\npush \"route-ipv6 ::/0\"") ==
        std::vector<std::string>{"10.0.0.0/8", "default"});
  // A family the session has no address in is not redirected (openvpn's client skips it too):
  // an IPv6-only session keeps its IPv4 routes, an IPv4-only one gets no ::/0.
  auto only6 = [&](std::string_view text) {
    return apply_connect_output(base, cfg, {net("fd00:8::/64")}, parse(text));
  };
  CHECK(only6("push \"redirect-gateway def1\"").routes_size() == 0);  // untouched: the configuration's
  CHECK(list(only6("push \"redirect-gateway def1 ipv6\"").routes()) ==
        std::vector<std::string>{"10.0.0.0/8", "default"});
  CHECK(list(apply(base, false, "push \"redirect-gateway ipv6 !ipv4\"").routes()).empty());
  // 0.0.0.0/0 in the session's own routes (RADIUS) is everything already: nothing is added.
  ipc::UserSettings radius;
  radius.add_routes("0.0.0.0/0");
  CHECK(list(apply(radius, false, "push \"redirect-gateway def1\"").routes()) ==
        std::vector<std::string>{"0.0.0.0/0"});

  // no-routes add to the configuration's.
  s = apply(base, false, "push \"route 203.0.113.0 255.255.255.0 net_gateway\"");
  CHECK(list(s.no_routes()) == std::vector<std::string>{"10.99.0.0/16", "203.0.113.0/24"});
  CHECK(s.routes_size() == 0);  // untouched: the configuration's stay

  s = apply(base, false, "push \"dhcp-option DOMAIN corp.example\"");
  CHECK(s.default_domain() == "corp.example");
  CHECK(s.dns_size() == 0);
}

TEST_CASE("connect output: the file main reads back", "[connect-output]") {
  char tmpl[] = "/tmp/connect-output-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl));
  std::string dir = tmpl, error;
  std::string sock = dir + "/ctl.sock";
  std::string out = prepare_connect_output_dir(sock, &error);
  INFO(error);
  REQUIRE(out == dir + "/connect-script");
  struct stat st {};
  REQUIRE(::stat(out.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  auto write = [](const std::string& path, const std::string& text) {
    std::FILE* w = std::fopen(path.c_str(), "w");
    REQUIRE(w);
    std::fputs(text.c_str(), w);
    std::fclose(w);
  };

  std::string f = make_connect_output_file(out);
  REQUIRE(!f.empty());
  REQUIRE(::stat(f.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_size == 0);
  write(f, "push \"route 192.0.2.0 255.255.255.0\"\n");
  auto text = take_connect_output_file(f, 100);
  REQUIRE(text);
  CHECK(*text == "push \"route 192.0.2.0 255.255.255.0\"\n");
  CHECK(::access(f.c_str(), F_OK) != 0);                                      // removed
  CHECK(take_connect_output_file(f, 100) == std::optional<std::string>(""));  // the script removed it

  f = make_connect_output_file(out);  // over the limit: limit + 1 bytes, so the caller sees it
  write(f, std::string(500, '#'));
  CHECK(take_connect_output_file(f, 100)->size() == 101);

  f = make_connect_output_file(out);  // a FIFO in its place: not read (main would hang)
  ::unlink(f.c_str());
  REQUIRE(::mkfifo(f.c_str(), 0600) == 0);
  CHECK_FALSE(take_connect_output_file(f, 100).has_value());
  CHECK(::access(f.c_str(), F_OK) != 0);

  std::string other = dir + "/other";
  write(other, "disable\n");
  f = make_connect_output_file(out);  // a symbolic link to another file: not followed
  ::unlink(f.c_str());
  REQUIRE(::symlink(other.c_str(), f.c_str()) == 0);
  CHECK_FALSE(take_connect_output_file(f, 100).has_value());
  f = make_connect_output_file(out);  // a hard link: two names
  ::unlink(f.c_str());
  REQUIRE(::link(other.c_str(), f.c_str()) == 0);
  CHECK_FALSE(take_connect_output_file(f, 100).has_value());

  // Left from a run that stopped: removed when the directory is prepared again.
  std::string stale = make_connect_output_file(out);
  CHECK(prepare_connect_output_dir(sock, &error) == out);
  CHECK(::access(stale.c_str(), F_OK) != 0);
  // A directory others may enter is refused.
  REQUIRE(::chmod(out.c_str(), 0755) == 0);
  CHECK(prepare_connect_output_dir(sock, &error).empty());
  CHECK(error.find("only it may enter") != std::string::npos);
  std::string rm = "rm -rf " + dir;
  CHECK(std::system(rm.c_str()) == 0);
}
