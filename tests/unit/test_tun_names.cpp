#include <catch2/catch.hpp>

#include <string>

#include "main/os/tun.hpp"

using sslvpn::mainproc::TunNamer;

TEST_CASE("TUN device names: counted by main, wrapping within 15 characters", "[tun]") {
  TunNamer n;
  CHECK(n.next("vpns") == "vpns0");
  CHECK(n.next("vpns") == "vpns1");
  CHECK(n.next("vpns") == "vpns2");
  // A 13-character prefix leaves two digits: 100 names, then the count starts over.
  TunNamer longer;
  const std::string p = "abcdefghijklm";
  for (int i = 0; i < 100; ++i) REQUIRE(longer.next(p) == p + std::to_string(i));
  CHECK(longer.next(p) == p + "0");
  // A short prefix: at most 1,000,000 names (six digits).
  TunNamer shortp;
  std::string last;
  for (int i = 0; i < 1000000; ++i) last = shortp.next("t");
  CHECK(last == "t999999");
  CHECK(shortp.next("t") == "t0");
}

TEST_CASE("TUN device names: each prefix has its own count", "[tun]") {
  // A vhost's long device prefix wraps every 100 names; the default prefix's count goes on.
  TunNamer n;
  const std::string vhost = "abcdefghijklm";
  for (int i = 0; i < 150; ++i) (void)n.next("vpns");
  for (int i = 0; i < 250; ++i) (void)n.next(vhost);
  CHECK(n.next("vpns") == "vpns150");
  CHECK(n.next(vhost) == vhost + "50");
}
