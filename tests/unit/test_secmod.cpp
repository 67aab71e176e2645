#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <set>

#include "sec-mod/cookie_db.hpp"
#include "sec-mod/plain_auth.hpp"
#include "sec-mod/sec_mod.hpp"

using namespace sslvpn;
using namespace sslvpn::secmod;

TEST_CASE("cookies: unique, bound to user and group, expire", "[secmod][cookie]") {
  CookieDb db(300);
  std::string c1 = db.issue("alice", "staff", 1000);
  std::string c2 = db.issue("alice", "staff", 1000);
  CHECK(c1.size() == 64);
  CHECK(c1 != c2);
  const CookieEntry* e = db.find(c1, 1299);
  REQUIRE(e != nullptr);
  CHECK(e->user == "alice");
  CHECK(e->group == "staff");
  CHECK(db.find(c1, 1300) == nullptr);
  CHECK(db.find("00" + c1.substr(2), 1000) == nullptr);
  CHECK(db.find("", 1000) == nullptr);
  CHECK(db.purge(1300).size() == 2);
  CHECK(db.size() == 0);
}

TEST_CASE("cookies: a tunnel keeps its cookie alive; detach restarts the timeout", "[secmod][cookie]") {
  CookieDb db(300);
  std::string c = db.issue("alice", "staff", 1000);
  const CookieEntry* e = db.open(c, 1100);
  REQUIRE(e != nullptr);
  uint64_t sid = e->session_id;
  CHECK(sid != 0);
  CHECK(db.purge(5000).empty());  // in use: never expires
  CHECK(db.find(c, 5000) != nullptr);
  db.detach(sid, false, 5000);  // client gone: cookie-timeout from now
  CHECK(db.find(c, 5299) != nullptr);
  CHECK(db.open(c, 5200)->session_id == sid);  // the reconnect gets the same session
  db.detach(sid, false, 5200);
  auto gone = db.purge(5500);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == sid);
  CHECK(db.open(c, 5500) == nullptr);
}

TEST_CASE("cookies: logout kills the cookie at once", "[secmod][cookie]") {
  CookieDb db(300);
  std::string c = db.issue("bob", "", 1000);
  uint64_t sid = db.open(c, 1000)->session_id;
  db.detach(sid, true, 1001);
  CHECK(db.find(c, 1001) == nullptr);
  CHECK(db.open(c, 1001) == nullptr);
  CHECK(db.size() == 0);
  db.detach(sid, true, 1002);  // twice is harmless
  db.detach(12345, false, 1002);
}

TEST_CASE("plain auth: passwords, locks, groups", "[secmod][plain]") {
  std::string hash = crypt_hash("s3cret", "$6$testsalt$");
  REQUIRE(hash.rfind("$6$testsalt$", 0) == 0);
  std::string path = "/tmp/sslvpnd-unit-passwd-" + std::to_string(::getpid());
  {
    std::ofstream f(path);
    f << "alice:staff,ops:" << hash << "\n";
    f << "bob:*:" << hash << "\n";
    f << "carol:staff:!" << hash << "\n";
  }
  PlainAuth a(path);
  auto ok = a.check("alice", "s3cret", "");
  CHECK(ok.ok);
  CHECK(ok.group == "staff");
  CHECK(a.check("alice", "s3cret", "ops").group == "ops");
  CHECK_FALSE(a.check("alice", "s3cret", "admins").ok);
  CHECK_FALSE(a.check("alice", "wrong", "").ok);
  CHECK_FALSE(a.check("mallory", "s3cret", "").ok);
  CHECK_FALSE(a.check("carol", "s3cret", "").ok);
  CHECK(a.check("carol", "s3cret", "").reason == "account locked");
  auto b = a.check("bob", "s3cret", "");
  CHECK(b.ok);
  CHECK(b.group.empty());
  CHECK_FALSE(a.check("bad:name", "s3cret", "").ok);
  std::remove(path.c_str());
  CHECK_FALSE(PlainAuth(path).check("alice", "s3cret", "").ok);
}

TEST_CASE("plain auth: constant-time compare", "[secmod][plain]") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
}

TEST_CASE("sec-mod: every worker request kind is routed exactly once", "[secmod][routes]") {
  std::multiset<int> kinds;
  for (const auto& r : SecMod::worker_routes()) {
    kinds.insert(r.kind);
    CHECK(r.legal_states != 0);
    CHECK(r.handler != nullptr);
  }
  for (int k :
       {static_cast<int>(ipc::WorkerToSecMod::kSign), static_cast<int>(ipc::WorkerToSecMod::kAuthInit)})
    CHECK(kinds.count(k) == 1);
  // A new oneof case in the schema must be added to the table (and to the list above).
  CHECK(kinds.size() == 2);
}
