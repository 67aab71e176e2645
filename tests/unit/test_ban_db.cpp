#include <catch2/catch.hpp>

#include "main/ban_db.hpp"

using namespace sslvpn::mainproc;

TEST_CASE("bans: points add up to a ban that ends", "[bans]") {
  BanDb db(BanSettings{20, 300, 1200});
  CHECK_FALSE(db.add_points("192.0.2.1", 10, 1000));
  CHECK_FALSE(db.is_banned("192.0.2.1", 1000));
  CHECK(db.add_points("192.0.2.1", 10, 1001));  // 20: banned
  CHECK(db.is_banned("192.0.2.1", 1001));
  CHECK(db.is_banned("192.0.2.1", 1300));
  CHECK_FALSE(db.is_banned("192.0.2.1", 1301));  // ban-time over
  CHECK_FALSE(db.is_banned("192.0.2.2", 1001));  // other addresses unaffected
  CHECK(db.banned_count(1001) == 1);
}

TEST_CASE("bans: the score shown is what the failures added up to; after the ban it restarts", "[bans]") {
  BanDb db(BanSettings{80, 300, 1200});
  for (int i = 0; i < 8; ++i) db.add_points("192.0.2.7", 10, 1000 + i);
  REQUIRE(db.is_banned("192.0.2.7", 1008));
  auto e = db.entries(1008);
  REQUIRE(e.size() == 1);
  CHECK(e[0].score == 80);  // was 0 (reset at the ban) before issue #18
  CHECK(e[0].banned_until == 1007 + 300);
  CHECK(db.add_points("192.0.2.7", 10, 1100));  // still banned: more points do not extend it
  CHECK(db.entries(1100)[0].banned_until == 1007 + 300);
  CHECK_FALSE(db.add_points("192.0.2.7", 10, 1400));  // ban over: counting restarts
  CHECK(db.entries(1400)[0].score == 10);
  CHECK(db.entries(1400)[0].banned_until == 0);
}

TEST_CASE("bans: the table is capped; entries expire", "[bans]") {
  BanDb db(BanSettings{80, 300, 1200});
  for (int i = 0; i < 100005; ++i)
    db.add_points("10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." +
                      std::to_string(i & 255),
                  1, 1000);
  CHECK(db.entries(1000).size() == 100000);
  // Full: a new address still has its points counted, in place of one that is not banned.
  CHECK_FALSE(db.add_points("192.0.2.9", 79, 1001));
  CHECK(db.add_points("192.0.2.9", 1, 1002));
  CHECK(db.is_banned("192.0.2.9", 1003));
  CHECK(db.entries(1003).size() == 100000);
  db.expire(2300);
  CHECK(db.entries(2300).empty());
  CHECK(db.add_points("192.0.2.1", 80, 2300));  // room again
}

TEST_CASE("bans: a full table of bans keeps them all", "[bans]") {
  BanDb db(BanSettings{1, 300, 1200});
  for (int i = 0; i < 100000; ++i)
    CHECK(db.add_points("10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." +
                            std::to_string(i & 255),
                        1, 1000));
  CHECK_FALSE(db.add_points("192.0.2.9", 1, 1001));  // no room: no ban is given up for it
  CHECK(db.is_banned("10.0.0.0", 1001));
  CHECK(db.is_banned("10.1.134.159", 1001));
}

TEST_CASE("bans: old points are forgotten after ban-reset-time", "[bans]") {
  BanDb db(BanSettings{20, 300, 1200});
  db.add_points("192.0.2.1", 19, 1000);
  CHECK_FALSE(db.add_points("192.0.2.1", 1, 2200));  // 1200 s later: counting restarts
  CHECK_FALSE(db.is_banned("192.0.2.1", 2200));
}

TEST_CASE("bans: IPv6 counts per /64; unban; off switch; expiry", "[bans]") {
  BanDb db(BanSettings{20, 300, 1200});
  db.add_points("2001:db8:1:2::5", 10, 1000);
  CHECK(db.add_points("2001:db8:1:2:ffff::9", 10, 1000));  // same /64
  CHECK(db.is_banned("2001:db8:1:2::77", 1000));
  CHECK_FALSE(db.is_banned("2001:db8:1:3::5", 1000));
  CHECK(BanDb::key_of("2001:db8:1:2::5") == "2001:db8:1:2::/64");
  CHECK(db.unban("2001:db8:1:2::1"));
  CHECK_FALSE(db.is_banned("2001:db8:1:2::5", 1000));
  CHECK_FALSE(db.unban("203.0.113.9"));

  BanDb off(BanSettings{0, 300, 1200});
  CHECK_FALSE(off.add_points("192.0.2.1", 1000, 1000));
  CHECK_FALSE(off.is_banned("192.0.2.1", 1000));

  db.add_points("192.0.2.7", 5, 1000);
  CHECK(db.entries(1000).size() == 1);
  db.expire(3000);
  CHECK(db.entries(3000).empty());
}

TEST_CASE("bans: a score saturates instead of wrapping (max-ban-score up to 2^32-1)", "[bans]") {
  BanDb db(BanSettings{0xffffffffu, 300, 1200});
  for (int i = 0; i < 4095; ++i) REQUIRE_FALSE(db.add_points("192.0.2.9", 1u << 20, 1000));
  // The 4096th reaches 2^32, past the maximum: a wrapping score would be 0 and ban nobody.
  CHECK(db.add_points("192.0.2.9", 1u << 20, 1000));
  CHECK(db.is_banned("192.0.2.9", 1000));
}
