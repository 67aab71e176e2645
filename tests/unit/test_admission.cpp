// main's login admission: slots, the bounded queue, its order under overload, and its timeouts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <utility>

#include "common/rate_bucket.hpp"
#include "main/admission.hpp"
#include "main/auto_groups.hpp"
#include "main/worker_ids.hpp"

using namespace sslvpn::mainproc;

namespace {

WaitingConnection conn(uint16_t port) {
  WaitingConnection c;
  c.ip = "192.0.2.1";
  c.port = port;
  return c;
}

AdmissionLimits limits(size_t slots, size_t queue) {
  AdmissionLimits l;
  l.in_progress = slots;
  l.max_queued = queue;
  l.queue_timeout_s = 10;
  l.slot_hold_s = 5;
  l.overload_after_s = 1;
  return l;
}

}  // namespace

TEST_CASE("admission: free slots start at once; then connections wait, oldest first") {
  LoginAdmission a(limits(2, 8));
  auto c1 = a.arrive(conn(1), 0);
  REQUIRE(c1);
  a.take(101, 0);
  auto c2 = a.arrive(conn(2), 0);
  REQUIRE(c2);
  a.take(102, 0);
  CHECK(a.in_progress() == 2);
  CHECK_FALSE(a.arrive(conn(3), 0.1));
  CHECK_FALSE(a.arrive(conn(4), 0.2));
  CHECK(a.queued() == 2);
  CHECK_FALSE(a.next(0.3));  // no slot free
  a.release(101);
  auto n = a.next(0.4);
  REQUIRE(n);
  CHECK(n->port == 3);  // the queue moves: oldest first
  CHECK(a.stats().admitted_at_once == 2);
  CHECK(a.stats().admitted_after_wait == 1);
}

TEST_CASE("admission: under overload the newest go first, the oldest are closed after the timeout") {
  LoginAdmission a(limits(1, 8));
  REQUIRE(a.arrive(conn(1), 0));
  a.take(1, 0);
  for (uint16_t p = 2; p <= 5; ++p) CHECK_FALSE(a.arrive(conn(p), p));  // since 2..5 s
  a.release(1);
  auto n = a.next(6);  // the oldest has waited 4 s: overloaded
  REQUIRE(n);
  CHECK(n->port == 5);
  a.take(5, 6);
  a.release(5);
  // At 12.5 s the one from 2 s has waited 10.5 s: closed; 3 and 4 remain.
  auto m = a.next(12.5);
  REQUIRE(m);
  CHECK(m->port == 4);
  CHECK(a.stats().closed_stale == 1);
  CHECK(a.queued() == 1);
}

TEST_CASE("admission: a full queue closes its oldest connection to make room") {
  LoginAdmission a(limits(0, 2));
  CHECK_FALSE(a.arrive(conn(1), 0));
  CHECK_FALSE(a.arrive(conn(2), 0));
  CHECK_FALSE(a.arrive(conn(3), 0));
  CHECK(a.queued() == 2);
  CHECK(a.stats().closed_overflow == 1);
  LoginAdmission none(limits(0, 0));  // login-queue-timeout = 0: nothing waits
  CHECK_FALSE(none.arrive(conn(1), 0));
  CHECK(none.queued() == 0);
  CHECK(none.stats().closed_overflow == 1);
}

TEST_CASE("admission: a slot is held at most slot_hold_s; a failed start gives its slot back") {
  LoginAdmission a(limits(1, 4));
  REQUIRE(a.arrive(conn(1), 0));
  a.take(7, 0);
  CHECK_FALSE(a.arrive(conn(2), 1));
  a.expire(4.9);
  CHECK(a.in_progress() == 1);
  a.expire(5.0);
  CHECK(a.in_progress() == 0);
  auto n = a.next(5.0);
  REQUIRE(n);
  CHECK(a.in_progress() == 1);  // reserved for its worker
  a.cancel_reservation();       // the worker could not be started
  CHECK(a.in_progress() == 0);
}

TEST_CASE("admission: resumptions wait in their own lane; free slots alternate between the lanes") {
  LoginAdmission a(limits(1, 16));
  REQUIRE(a.arrive(conn(1), 0));
  a.take(1, 0);
  for (uint16_t p = 10; p < 14; ++p) CHECK_FALSE(a.arrive(conn(p), 0.1));  // new logins
  for (uint16_t p = 20; p < 24; ++p) {
    auto c = conn(p);
    c.resumption = true;
    CHECK_FALSE(a.arrive(std::move(c), 0.2));
  }
  CHECK(a.queued() == 8);
  std::string lanes;
  for (int i = 0; i < 4; ++i) {
    a.release(static_cast<uint64_t>(i + 1));
    auto n = a.next(0.5);
    REQUIRE(n);
    lanes += n->resumption ? 'r' : 'n';
    a.take(static_cast<uint64_t>(i + 2), 0.5);
  }
  CHECK(lanes == "rnrn");
  // A resumption that arrives while its lane is empty and a slot is free starts at once,
  // even with new logins waiting.
  LoginAdmission b(limits(2, 16));
  REQUIRE(b.arrive(conn(1), 0));
  b.take(1, 0);
  REQUIRE(b.arrive(conn(2), 0));
  b.take(2, 0);
  CHECK_FALSE(b.arrive(conn(3), 0));
  b.release(2);
  auto r = conn(4);
  r.resumption = true;
  CHECK(b.arrive(std::move(r), 0.1));
}

TEST_CASE("admission: a flood in one lane does not push the other lane out of a full queue") {
  LoginAdmission a(limits(1, 8));
  REQUIRE(a.arrive(conn(1), 0));
  a.take(1, 0);
  for (uint16_t p = 10; p < 14; ++p) CHECK_FALSE(a.arrive(conn(p), 0.1));  // new logins wait
  // Forged resumptions (anyone can send the extension), many more than the queue holds.
  for (uint16_t p = 100; p < 200; ++p) {
    auto c = conn(p);
    c.resumption = true;
    CHECK_FALSE(a.arrive(std::move(c), 0.2));
  }
  CHECK(a.queued() == 8);
  // The four new logins are all still there: slots alternate, so they get every other one.
  int logins = 0;
  for (int i = 0; i < 8; ++i) {
    a.release(static_cast<uint64_t>(i + 1));
    auto n = a.next(0.3);
    REQUIRE(n);
    if (!n->resumption) ++logins;
    a.take(static_cast<uint64_t>(i + 2), 0.3);
  }
  CHECK(logins == 4);
  // The other way round: a flood of new logins keeps a waiting resumption.
  LoginAdmission b(limits(1, 4));
  REQUIRE(b.arrive(conn(1), 0));
  b.take(1, 0);
  auto r = conn(2);
  r.resumption = true;
  CHECK_FALSE(b.arrive(std::move(r), 0.1));
  for (uint16_t p = 10; p < 60; ++p) CHECK_FALSE(b.arrive(conn(p), 0.2));
  b.release(1);
  auto n = b.next(0.3);
  REQUIRE(n);
  CHECK(n->resumption);
}

namespace {

struct StormResult {
  size_t served = 0, closed = 0;
  size_t wasted = 0;    // served after their client gave up (waited more than `patience`)
  double max_wait = 0;  // of those served
};

// A storm in virtual time: `rate` logins a second for `seconds`, against 8 slots whose logins
// take 0.08 s each (capacity 100 a second), with clients that wait `patience` seconds. Steps of
// a millisecond until the queue is empty.
StormResult storm(double rate, double seconds, AdmissionLimits l, double patience = 30) {
  l.in_progress = 8;
  LoginAdmission a(l);
  std::multiset<std::pair<double, uint64_t>> running;  // end time, worker
  StormResult r;
  uint64_t id = 0;
  size_t arrivals = static_cast<size_t>(rate * seconds);
  size_t arrived = 0;
  auto start = [&](double since, double t) {
    ++id;
    a.take(id, t);
    running.insert({t + 0.08, id});
    r.max_wait = std::max(r.max_wait, t - since);
    if (t - since > patience) ++r.wasted;
    ++r.served;
  };
  for (int step = 0; step < 120000; ++step) {  // at most 120 s
    double t = step / 1000.0;
    while (!running.empty() && running.begin()->first <= t) {
      a.release(running.begin()->second);
      running.erase(running.begin());
    }
    while (arrived < arrivals && arrived / rate <= t) {
      ++arrived;
      if (a.arrive(conn(static_cast<uint16_t>(arrived)), t)) start(t, t);
    }
    while (auto n = a.next(t)) start(n->since, t);
    if (arrived == arrivals && a.queued() == 0 && running.empty()) break;
  }
  r.closed = a.stats().closed_stale + a.stats().closed_overflow;
  return r;
}

}  // namespace

TEST_CASE("admission: a storm a little above capacity is served whole, oldest first", "[admission]") {
  // 120 a second for 15 s against a capacity of 100: the queue grows to about 300, three
  // seconds of work, which oldest first serves within the clients' wait.
  auto r = storm(120, 15, admission_limits_for(8, 10, 2));  // the server's rule
  CHECK(r.closed == 0);
  CHECK(r.served == 1800);
  CHECK(r.max_wait < 5);
  // Newest first after a second (the rule before) left the oldest waiting until they were
  // closed, though the storm needed only three seconds more than it lasted.
  auto rule_before = admission_limits_for(8, 10, 2);
  rule_before.overload_after_s = 1;
  auto early = storm(120, 15, rule_before);
  CHECK(early.closed > 0);
  CHECK(early.served < 1800);
}

TEST_CASE("admission: the server's limits from its configuration", "[admission]") {
  auto l = admission_limits_for(0, 10, 2);  // the defaults on 2 CPUs
  CHECK(l.in_progress == 32);
  CHECK(l.queue_timeout_s == 10);
  CHECK(l.overload_after_s == 5);
  CHECK(l.max_queued == 4096);
  CHECK(admission_limits_for(8, 4, 0).in_progress == 8);
  CHECK(admission_limits_for(0, 4, 0).in_progress == 16);  // a CPU count of 0 counts as 1
  CHECK(admission_limits_for(8, 4, 2).overload_after_s == 2);
  // A long timeout does not make the oldest of a long overload go first for minutes.
  CHECK(admission_limits_for(8, 600, 2).overload_after_s == 5);
  auto none = admission_limits_for(8, 0, 2);  // login-queue-timeout = 0: nothing waits
  CHECK(none.max_queued == 0);
  CHECK(none.overload_after_s == 0);
}

TEST_CASE("admission: under a 5x storm goodput stays at capacity and none waits past the timeout",
          "[admission]") {
  auto r = storm(500, 15, admission_limits_for(8, 10, 2));
  // At 100 a second the storm's 15 s and the queue's last 10 s serve about 2500.
  CHECK(r.served >= 0.9 * 100 * 15);
  CHECK(r.served + r.closed == 7500);
  CHECK(r.max_wait < 10);
}

TEST_CASE("admission: a long login-queue-timeout does not serve the oldest of a long overload",
          "[admission]") {
  // login-queue-timeout = 60 against clients that wait 8 s. Oldest first for half of it (30 s)
  // would give the storm's slots to clients that waited ever longer, past their patience; the
  // server's rule turns to newest first after 5 s.
  auto rule = admission_limits_for(8, 60, 2);
  auto half = rule;
  half.overload_after_s = 30;
  auto kept = storm(500, 15, rule, 8), slow = storm(500, 15, half, 8);
  INFO("wasted logins: " << kept.wasted << " with the rule, " << slow.wasted << " oldest first for 30 s");
  CHECK(kept.served - kept.wasted > slow.served - slow.wasted + 300);
}

TEST_CASE("auto-select-group: a password file's groups, in order, without repeats", "[config]") {
  auto g = sslvpn::mainproc::passwd_file_groups(
      "alice:staff,ops:$5$x$y\n# a comment\nbob:ops,admins:$5$x$z\ncarol:*:$5$x$w\nbroken "
      "line\ndave:staff:!$5$x$v\n");
  CHECK(g == std::vector<std::string>{"staff", "ops", "admins"});
  CHECK(sslvpn::mainproc::passwd_file_groups("").empty());
}

TEST_CASE("rate bucket: a burst, then the rate; time going back gives nothing", "[admission]") {
  sslvpn::RateBucket b(10, 3);
  CHECK(b.take(100.0));
  CHECK(b.take(100.0));
  CHECK(b.take(100.0));
  CHECK_FALSE(b.take(100.0));   // the burst is spent
  CHECK_FALSE(b.take(100.05));  // half a token
  CHECK(b.take(100.12));
  CHECK_FALSE(b.take(99.0));  // a clock that went back refills nothing
  CHECK_FALSE(b.take(100.12));
  CHECK(b.take(200.0));  // refilled to the burst, not beyond
  CHECK(b.take(200.0));
  CHECK(b.take(200.0));
  CHECK_FALSE(b.take(200.0));
}

TEST_CASE("worker ids: past 2^24 the peer ids wrap without clashing with live ones", "[admission]") {
  std::set<uint32_t> live;
  auto held = [&](uint32_t p) { return live.count(p) != 0; };
  uint64_t next = 1;
  CHECK(next_worker_id(next, held) == 1);
  live = {2, 3};
  CHECK(next_worker_id(next, held) == 4);  // 2 and 3 are live
  next = 0xfffffe;
  CHECK(next_worker_id(next, held) == 0xfffffe);
  // 0xffffff ("no peer id" to openvpn) and 0x1000000 (peer id 0) are skipped; peer id 1 is
  // not live, so 0x1000001 is taken.
  CHECK(next_worker_id(next, held) == 0x1000001);
  CHECK(next_worker_id(next, held) == 0x1000004);  // 0x1000002, 0x1000003: peer ids 2 and 3 live
  CHECK(peer_id_of(0x1000004) == 4);
}
