#include <catch2/catch.hpp>

#include "common/passwd_file.hpp"

using namespace sslvpn;

TEST_CASE("passwd: ocpasswd lines parse", "[passwd]") {
  auto e = parse_passwd_line("test:tost,group1, group2:$5$i6SN$SZ4b");
  REQUIRE(e.ok());
  CHECK(e->user == "test");
  CHECK(e->groups == std::vector<std::string>{"tost", "group1", "group2"});
  CHECK(e->hash == "$5$i6SN$SZ4b");
  CHECK_FALSE(e->locked);

  auto none = parse_passwd_line("bob:*:$6$x$y");
  REQUIRE(none.ok());
  CHECK(none->groups.empty());

  auto locked = parse_passwd_line("carol:g:!$6$x$y");
  REQUIRE(locked.ok());
  CHECK(locked->locked);
  CHECK(locked->hash == "$6$x$y");
}

TEST_CASE("passwd: comments, blanks and malformed lines", "[passwd]") {
  CHECK(parse_passwd_line("# comment").error() == Errc::NotFound);
  CHECK(parse_passwd_line("   ").error() == Errc::NotFound);
  CHECK(parse_passwd_line("nocolons").error() == Errc::Malformed);
  CHECK(parse_passwd_line("one:colon").error() == Errc::Malformed);
  CHECK(parse_passwd_line(":g:hash").error() == Errc::Malformed);
}

TEST_CASE("passwd: format round-trips", "[passwd]") {
  PasswdEntry e{"dave", {"a", "b"}, "$6$s$h", true};
  std::string line = format_passwd_line(e);
  CHECK(line == "dave:a,b:!$6$s$h");
  auto back = parse_passwd_line(line);
  REQUIRE(back.ok());
  CHECK(back->user == "dave");
  CHECK(back->groups == e.groups);
  CHECK(back->locked);
  CHECK(format_passwd_line(PasswdEntry{"x", {}, "h", false}) == "x:*:h");
}

TEST_CASE("passwd: lookup and hash setting", "[passwd]") {
  const char* text = "# users\nalice:staff:$6$saltA$hashA\nbob::$5$rounds=5000$saltB$hashB\n";
  auto a = find_passwd_entry(text, "bob");
  REQUIRE(a.has_value());
  CHECK(a->hash == "$5$rounds=5000$saltB$hashB");
  CHECK_FALSE(find_passwd_entry(text, "mallory").has_value());
  CHECK_FALSE(find_passwd_entry(text, "alic").has_value());
  CHECK(first_hash_setting(text) == "$6$saltA$");
  CHECK(first_hash_setting("x:y:plain\n").empty());
}

TEST_CASE("passwd: name validation", "[passwd]") {
  CHECK(valid_user_name("alice"));
  CHECK(valid_user_name("J\xc3\xbcrgen \"quoted\""));
  CHECK_FALSE(valid_user_name(""));
  CHECK_FALSE(valid_user_name("a:b"));
  CHECK_FALSE(valid_user_name("line\nbreak"));
  CHECK_FALSE(valid_user_name(std::string(129, 'a')));
  CHECK(valid_group_name("ops"));
  CHECK_FALSE(valid_group_name("a,b"));
  CHECK_FALSE(valid_group_name(" pad"));
}
