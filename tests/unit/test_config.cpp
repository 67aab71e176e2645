#include <catch2/catch.hpp>

#include "common/config.hpp"

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

TEST_CASE("config: unknown key is an error naming key and line", "[config]") {
  std::string text = std::string(kMinimal) + "\nfrobnicate = 1\n";
  try {
    (void)parse_config(text, "my.conf", nullptr);
    FAIL("no error");
  } catch (const ConfigError& e) {
    std::string m = e.what();
    CHECK(m.find("my.conf:5") != std::string::npos);
    CHECK(m.find("frobnicate") != std::string::npos);
  }
}

TEST_CASE("config: ocserv keys not implemented yet are warnings", "[config]") {
  std::vector<ConfigWarning> w;
  std::string text = std::string(kMinimal) + "ipv4-network = 10.0.0.0/24\ndpd = 90\n";
  (void)parse_config(text, "t", &w);
  REQUIRE(w.size() == 2);
  CHECK(w[0].line == 4);
  CHECK(w[0].text.find("ipv4-network") != std::string::npos);
}

TEST_CASE("config: bad values and missing required keys", "[config]") {
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "tcp-port = 70000\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "tcp-port = 12a\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "isolate-workers = maybe\n", "t", nullptr),
                  ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "no equals sign\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config(std::string(kMinimal) + "[vhost:www.example.com]\n", "t", nullptr),
                  ConfigError);
  CHECK_THROWS_AS(parse_config("server-cert = a\nserver-key = b\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config("auth = \"plain[passwd=/p]\"\nserver-key = b\n", "t", nullptr), ConfigError);
  CHECK_THROWS_AS(parse_config("auth = pam\nserver-cert = a\nserver-key = b\n", "t", nullptr), ConfigError);
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
