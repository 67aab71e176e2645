// read_regular_file: bounded, and never blocks on what is not a regular file.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "common/text.hpp"

using namespace sslvpn;

TEST_CASE("read_regular_file: regular files only, at most limit + 1 bytes", "[text]") {
  char dir[] = "/tmp/sslvpnd-text-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  std::string d = dir;
  {
    std::FILE* f = std::fopen((d + "/small").c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("route 10.0.0.0\n", f);
    std::fclose(f);
  }
  CHECK(read_regular_file(d + "/small", 100) == std::optional<std::string>("route 10.0.0.0\n"));
  auto cut = read_regular_file(d + "/small", 5);
  REQUIRE(cut);
  CHECK(cut->size() == 6);  // more than the limit: the caller sees it is too long
  CHECK_FALSE(read_regular_file(d + "/missing", 100));
  CHECK_FALSE(read_regular_file(d, 100));  // a directory
  REQUIRE(::mkfifo((d + "/fifo").c_str(), 0600) == 0);
  CHECK_FALSE(read_regular_file(d + "/fifo", 100));  // returns at once, no writer needed
  ::unlink((d + "/fifo").c_str());
  ::unlink((d + "/small").c_str());
  ::rmdir(dir);
}

TEST_CASE("is_dns_host_name: RFC 1123 names only", "[text]") {
  for (const char* ok : {"pc1", "alice-laptop", "a.example.com", "x", "1host", "a-b.c-d"})
    CHECK(is_dns_host_name(ok));
  for (const char* bad :
       {"", "-a", "a-", "a..b", ".a", "a.", "a b", "a;rm -rf", "a_b", "caf\xc3\xa9", "a.-b"})
    CHECK_FALSE(is_dns_host_name(bad));
  CHECK(is_dns_host_name(std::string(63, 'a')));
  CHECK_FALSE(is_dns_host_name(std::string(64, 'a')));
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  CHECK_FALSE(is_dns_host_name(long_name + "x"));  // 257 characters
}
