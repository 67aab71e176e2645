// The stderr log sink's journal detection: priorities only when stderr is the journal stream.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <string>

#include "common/log.hpp"

using sslvpn::stderr_is_journal;

TEST_CASE("stderr_is_journal matches JOURNAL_STREAM against fd 2 only") {
  struct stat st {};
  REQUIRE(::fstat(STDERR_FILENO, &st) == 0);
  std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  CHECK(stderr_is_journal(mine.c_str()));
  std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  CHECK_FALSE(stderr_is_journal(other.c_str()));
  CHECK_FALSE(stderr_is_journal(nullptr));
  CHECK_FALSE(stderr_is_journal(""));
  CHECK_FALSE(stderr_is_journal("garbage"));
  CHECK_FALSE(stderr_is_journal("12"));
}
