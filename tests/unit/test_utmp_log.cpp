#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <utmpx.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "main/os/utmp_log.hpp"

using sslvpn::mainproc::UtmpLog;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/utmp-test.XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() {
    for (const char* f : {"/utmp", "/wtmp"}) ::unlink((path + f).c_str());
    ::rmdir(path.c_str());
  }
  std::string file(const char* name, bool create) const {
    std::string p = path + "/" + name;
    if (create) std::ofstream(p, std::ios::binary).flush();
    return p;
  }
};

off_t size_of(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_size : -1;
}

// The file's records as glibc reads them (utmpxname + getutxent): the format is glibc's own.
std::vector<utmpx> read_with_glibc(const std::string& p) {
  std::vector<utmpx> out;
  REQUIRE(utmpxname(p.c_str()) == 0);
  setutxent();
  while (const utmpx* r = getutxent()) out.push_back(*r);
  endutxent();
  return out;
}

std::string field(const char* f, size_t n) {
  return std::string(f, strnlen(f, n));
}

// The login record glibc's getutxline finds for LINE, as who(1) and login programs find it.
std::optional<utmpx> find_line_with_glibc(const std::string& p, const char* line) {
  REQUIRE(utmpxname(p.c_str()) == 0);
  setutxent();
  utmpx key{};
  key.ut_type = USER_PROCESS;
  std::strncpy(key.ut_line, line, sizeof key.ut_line);
  const utmpx* found = getutxline(&key);
  std::optional<utmpx> out = found ? std::optional<utmpx>(*found) : std::nullopt;
  endutxent();
  return out;
}

}  // namespace

TEST_CASE("use-utmp: a tunnel is a login in utmp and wtmp, its end a logout, in glibc's format", "[utmp]") {
  TempDir d;
  std::string ut = d.file("utmp", true), wt = d.file("wtmp", true);
  UtmpLog log(ut, wt);
  REQUIRE(log.login({"vpns0", "alice", "192.0.2.7", 4242}, 1'700'000'000'123'456));
  REQUIRE(log.login({"vpns1", "bob", "2001:db8::9", 4343}, 1'700'000'001'000'000));
  auto rs = read_with_glibc(ut);
  REQUIRE(rs.size() == 2);
  CHECK(rs[0].ut_type == USER_PROCESS);
  CHECK(field(rs[0].ut_line, sizeof rs[0].ut_line) == "vpns0");
  CHECK(field(rs[0].ut_id, sizeof rs[0].ut_id).empty());  // found by its line, as ocserv's
  CHECK(field(rs[0].ut_user, sizeof rs[0].ut_user) == "alice");
  CHECK(field(rs[0].ut_host, sizeof rs[0].ut_host) == "192.0.2.7");
  CHECK(rs[0].ut_pid == 4242);
  CHECK(rs[0].ut_tv.tv_sec == 1'700'000'000);
  CHECK(rs[0].ut_tv.tv_usec == 123'456);
  const unsigned char v4[4] = {192, 0, 2, 7};
  CHECK(std::memcmp(rs[0].ut_addr_v6, v4, 4) == 0);
  CHECK(rs[1].ut_addr_v6[0] != 0);  // 2001:db8::9's first bytes
  CHECK(field(rs[1].ut_user, sizeof rs[1].ut_user) == "bob");

  // alice's tunnel ends: her record becomes DEAD_PROCESS in place, without user or host.
  REQUIRE(log.logout("vpns0", 4242, 1'700'000'100'000'000));
  rs = read_with_glibc(ut);
  REQUIRE(rs.size() == 2);
  CHECK(rs[0].ut_type == DEAD_PROCESS);
  CHECK(field(rs[0].ut_user, sizeof rs[0].ut_user).empty());
  CHECK(field(rs[0].ut_line, sizeof rs[0].ut_line) == "vpns0");
  CHECK(rs[1].ut_type == USER_PROCESS);

  // wtmp: every login and logout appended, as last(1) pairs them by line.
  auto ws = read_with_glibc(wt);
  REQUIRE(ws.size() == 3);
  CHECK(ws[0].ut_type == USER_PROCESS);
  CHECK(ws[2].ut_type == DEAD_PROCESS);
  CHECK(field(ws[2].ut_line, sizeof ws[2].ut_line) == "vpns0");

  // The next login takes the slot alice's tunnel left: utmp does not grow.
  REQUIRE(log.login({"vpns2", "carol", "192.0.2.8", 99}, 1'700'000'200'000'000));
  rs = read_with_glibc(ut);
  REQUIRE(rs.size() == 2);
  CHECK(field(rs[0].ut_user, sizeof rs[0].ut_user) == "carol");
  // The end of a tunnel that was never recorded adds nothing to utmp.
  REQUIRE(log.logout("vpns77", 1, 1'700'000'300'000'000));
  CHECK(read_with_glibc(ut).size() == 2);
}

TEST_CASE("use-utmp: device names that end alike keep their own records; slots are reused", "[utmp]") {
  TempDir d;
  std::string ut = d.file("utmp", true), wt = d.file("wtmp", true);
  UtmpLog log(ut, wt);
  REQUIRE(log.login({"vpns1234", "ann", "192.0.2.1", 10}, 0));
  REQUIRE(log.login({"vpns11234", "ben", "192.0.2.2", 11}, 0));
  REQUIRE(log.logout("vpns1234", 10, 0));
  auto rs = read_with_glibc(ut);
  REQUIRE(rs.size() == 2);
  CHECK(rs[0].ut_type == DEAD_PROCESS);
  CHECK(rs[1].ut_type == USER_PROCESS);  // ben is still logged in
  CHECK(field(rs[1].ut_user, sizeof rs[1].ut_user) == "ben");
  // A thousand tunnels, one after the other, on ever new devices: two records in all.
  for (int i = 0; i < 1000; ++i) {
    std::string dev = "vpns" + std::to_string(20000 + i);
    REQUIRE(log.login({dev, "u", "192.0.2.3", 100 + i}, 0));
    REQUIRE(log.logout(dev, 100 + i, 0));
  }
  CHECK(size_of(ut) == static_cast<off_t>(2 * sizeof(utmpx)));
  // A logout whose record another tunnel took meanwhile leaves it alone.
  REQUIRE(log.login({"vpns5", "cat", "192.0.2.4", 50}, 0));
  auto mine = find_line_with_glibc(ut, "vpns5");
  REQUIRE(mine);
  utmpx over = *mine;
  over.ut_pid = 51;  // the same line, another process, written by glibc
  setutxent();
  REQUIRE(pututxline(&over) != nullptr);
  endutxent();
  REQUIRE(log.logout("vpns5", 50, 0));
  bool still = false;
  for (const auto& r : read_with_glibc(ut)) still = still || (r.ut_type == USER_PROCESS && r.ut_pid == 51);
  CHECK(still);
}

TEST_CASE("use-utmp: other logins' records stay; dead slots of our devices are reused", "[utmp]") {
  TempDir d;
  std::string ut = d.file("utmp", true), wt = d.file("wtmp", true);
  // An ssh login and a dead record for vpns2, written by glibc itself.
  REQUIRE(utmpxname(ut.c_str()) == 0);
  utmpx ssh{};
  ssh.ut_type = USER_PROCESS;
  ssh.ut_pid = 7;
  std::strncpy(ssh.ut_line, "pts/0", sizeof ssh.ut_line);
  std::strncpy(ssh.ut_id, "ts/0", sizeof ssh.ut_id);
  std::strncpy(ssh.ut_user, "root", sizeof ssh.ut_user);
  utmpx dead{};
  dead.ut_type = DEAD_PROCESS;
  std::strncpy(dead.ut_line, "vpns2", sizeof dead.ut_line);
  std::strncpy(dead.ut_id, "pns2", sizeof dead.ut_id);
  setutxent();
  REQUIRE(pututxline(&ssh) != nullptr);
  REQUIRE(pututxline(&dead) != nullptr);
  endutxent();

  UtmpLog log(ut, wt);
  REQUIRE(log.end_stale({"vpns"}, 0) == 0);  // the dead vpns2 is a free slot, not a stale login
  REQUIRE(log.login({"vpns7", "dave", "192.0.2.9", 5}, 1'700'000'000'000'000));
  REQUIRE(log.login({"vpns3", "erin", "192.0.2.10", 6}, 1'700'000'000'000'000));
  auto rs = read_with_glibc(ut);
  REQUIRE(rs.size() == 3);
  CHECK(field(rs[0].ut_user, sizeof rs[0].ut_user) == "root");  // untouched
  CHECK(field(rs[1].ut_user, sizeof rs[1].ut_user) == "dave");  // the dead slot reused
  CHECK(field(rs[2].ut_user, sizeof rs[2].ut_user) == "erin");  // appended
  // ... and glibc finds our record by its line, as who(1) and login programs do.
  auto found = find_line_with_glibc(ut, "vpns3");
  REQUIRE(found);
  CHECK(field(found->ut_user, sizeof found->ut_user) == "erin");
}

TEST_CASE("use-utmp: missing files are no failure; a torn wtmp record is overwritten", "[utmp]") {
  TempDir d;
  UtmpLog none(d.file("utmp", false), d.file("wtmp", false));
  CHECK(none.login({"vpns0", "alice", "192.0.2.7", 1}, 0));
  CHECK(size_of(d.file("utmp", false)) == -1);  // not created

  std::string ut = d.file("utmp", true), wt = d.file("wtmp", true);
  {
    std::ofstream torn(wt, std::ios::binary);
    std::string junk(sizeof(utmpx) + 10, 'x');
    torn.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  UtmpLog log(ut, wt);
  REQUIRE(log.login({"vpns0", "alice", "192.0.2.7", 1}, 0));
  CHECK(size_of(wt) == static_cast<off_t>(2 * sizeof(utmpx)));
  // Long names are cut to the fields' sizes, never past them.
  std::string user(100, 'u');
  REQUIRE(log.login({"vpns1", user, std::string(300, '1'), 2}, 0));
  auto rs = read_with_glibc(ut);
  REQUIRE(rs.size() == 2);
  CHECK(field(rs[1].ut_user, sizeof rs[1].ut_user) == std::string(sizeof rs[1].ut_user, 'u'));
}

TEST_CASE("use-utmp: at start, logins an earlier run left on our devices end", "[utmp]") {
  TempDir d;
  std::string ut = d.file("utmp", true), wt = d.file("wtmp", true);
  UtmpLog before(ut, wt);
  // A pid that cannot be running (beyond pid_max), one that is (ours), another program's line.
  REQUIRE(before.login({"vpns4", "alice", "192.0.2.7", 0x3fffffff}, 0));
  REQUIRE(before.login({"vpns5", "bob", "192.0.2.8", getpid()}, 0));
  REQUIRE(before.login({"pts/9", "root", "192.0.2.9", 0x3ffffffe}, 0));
  REQUIRE(before.login({"vpnsx", "eve", "192.0.2.10", 0x3ffffffd}, 0));
  UtmpLog now(ut, wt);
  CHECK(now.end_stale({"vpns", "tun"}, 1'700'000'000'000'000) == 1);
  auto rs = read_with_glibc(ut);
  REQUIRE(rs.size() == 4);
  CHECK(rs[0].ut_type == DEAD_PROCESS);  // vpns4: its process is gone
  CHECK(rs[1].ut_type == USER_PROCESS);  // vpns5: still running
  CHECK(rs[2].ut_type == USER_PROCESS);  // not ours
  CHECK(rs[3].ut_type == USER_PROCESS);  // "vpnsx" is not vpns + digits
  auto ws = read_with_glibc(wt);
  REQUIRE(ws.size() == 5);  // four logins and vpns4's logout
  CHECK(ws[4].ut_type == DEAD_PROCESS);
  CHECK(field(ws[4].ut_line, sizeof ws[4].ut_line) == "vpns4");
  CHECK(now.end_stale({"vpns"}, 0) == 0);  // once
}
