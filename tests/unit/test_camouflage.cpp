// ocserv's camouflage: the secret as a request's whole query, and what a prober gets.
#include <catch2/catch.hpp>

#include "common/config.hpp"
#include "worker/http/camouflage.hpp"

using namespace sslvpn;

TEST_CASE("camouflage: the secret is the whole query; refusals name no VPN", "[camouflage]") {
  CHECK(http::camouflage_pass("/?s3cret", "s3cret") == std::optional<std::string>("/"));
  CHECK(http::camouflage_pass("/auth?s3cret", "s3cret") == std::optional<std::string>("/auth"));
  CHECK_FALSE(http::camouflage_pass("/", "s3cret"));
  CHECK_FALSE(http::camouflage_pass("/?s3cre", "s3cret"));
  CHECK_FALSE(http::camouflage_pass("/?s3cretX", "s3cret"));
  CHECK_FALSE(http::camouflage_pass("/?S3cret", "s3cret"));
  CHECK_FALSE(http::camouflage_pass("/?a=s3cret", "s3cret"));
  CHECK_FALSE(http::camouflage_pass("/?", "s3cret"));
  CHECK_FALSE(http::camouflage_pass("/?x", ""));  // off

  auto r404 = http::serialize(http::camouflage_refusal(""));
  CHECK(r404.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  auto r401 = http::serialize(http::camouflage_refusal("Restricted \"Content\"\r\nX: y"));
  CHECK(r401.rfind("HTTP/1.1 401 Unauthorized\r\n", 0) == 0);
  CHECK(r401.find("WWW-Authenticate: Basic realm=\"Restricted ContentX: y\"\r\n") != std::string::npos);
  auto r405 = http::serialize(http::camouflage_405());
  CHECK(r405.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0) == 0);
  for (const auto& r : {r404, r401, r405})
    for (const char* word : {"config-auth", "X-CSTP", "X-Reason", "webvpn", "sslvpnd", "VPN"})
      CHECK(r.find(word) == std::string::npos);
}

TEST_CASE("camouflage: configuration", "[camouflage]") {
  const std::string base = "auth = \"plain[passwd=/dev/null]\"\nserver-cert = c\nserver-key = k\n";
  auto c = parse_config(base +
                            "camouflage = true\ncamouflage_secret = \"mysecretkey\"\n"
                            "camouflage_realm = \"Restricted Content\"\n",
                        "t", nullptr);
  CHECK(c.camouflage);
  CHECK(c.camouflage_secret == "mysecretkey");
  CHECK(c.camouflage_realm == "Restricted Content");
  std::vector<ConfigWarning> w;
  // No secret (an empty one is none, as in ocserv, which starts so): a warning; nothing passes.
  CHECK(parse_config(base + "camouflage = true\ncamouflage_secret = \"\"\n", "t", &w).camouflage);
  REQUIRE(w.size() == 1);
  CHECK(w[0].text.find("no client can connect until a secret is set") != std::string::npos);
  w.clear();
  // ocserv takes any secret: one clients cannot send as it is loads, with a warning
  CHECK(parse_config(base + "camouflage = true\ncamouflage_secret = a&b/c\n", "t", &w).camouflage_secret ==
        "a&b/c");
  CHECK(w.empty());
  (void)parse_config(base + "camouflage = true\ncamouflage_secret = \"a#b\"\n", "t", &w);
  REQUIRE(w.size() == 1);
  CHECK(w[0].text.find("never matches") != std::string::npos);
  w.clear();
  (void)parse_config(base + "camouflage = false\ncamouflage_secret = x\n", "t", &w);
  for (const auto& x : w) CHECK(x.text.find("camouflage") == std::string::npos);  // implemented: no warning
}
