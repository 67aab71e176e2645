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
