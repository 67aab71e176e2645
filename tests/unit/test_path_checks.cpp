// main's window of datagrams passed to a worker to check (main/udp/path_checks.hpp).
#include <catch2/catch.hpp>

#include "main/udp/path_checks.hpp"

using namespace sslvpn::mainproc;

namespace {
PathCheck check(uint32_t h) {
  PathCheck c;
  c.handoff = h;
  c.peer = "198.51.100.7:" + std::to_string(40000 + h % 1000);
  return c;
}
}  // namespace

TEST_CASE("PathCheckWindow: bounded, answered in order, nothing pushed out") {
  PathCheckWindow w;
  uint32_t h = 0;
  while (!w.full()) w.add(check(++h));
  CHECK(w.size() == PathCheckWindow::kMax);
  // The real client's datagram went first; a flood fills the rest and then finds it full
  // (the caller drops what it cannot add). The first is still there when its answer comes.
  auto first = w.take(1);
  REQUIRE(first);
  CHECK(first->peer == "198.51.100.7:40001");
  CHECK(w.size() == PathCheckWindow::kMax - 1);
  CHECK_FALSE(w.full());

  // Answers for failed checks free the window up to the one named.
  w.answered_through(10);
  CHECK(w.size() == PathCheckWindow::kMax - 10);
  CHECK_FALSE(w.take(5));    // already answered
  CHECK_FALSE(w.take(999));  // never passed
  CHECK(w.size() == PathCheckWindow::kMax - 10);
  w.answered_through(999);  // an unknown number changes nothing
  CHECK(w.size() == PathCheckWindow::kMax - 10);

  auto mid = w.take(20);  // authenticated: it and those before it are done
  REQUIRE(mid);
  CHECK(mid->handoff == 20);
  CHECK(w.size() == PathCheckWindow::kMax - 20);
  w.answered_through(h);
  CHECK(w.size() == 0);

  // Other addresses than the client's fill at most kMaxOthers; the client's own has the rest.
  while (!w.full_for(false)) w.add(check(++h));
  CHECK(w.size() == PathCheckWindow::kMaxOthers);
  CHECK_FALSE(w.full_for(true));
  while (!w.full_for(true)) w.add(check(++h));
  CHECK(w.size() == PathCheckWindow::kMax);
}

TEST_CASE("PathCheckWindow: handoff numbers that wrap") {
  PathCheckWindow w;
  w.add(check(0xfffffffe));
  w.add(check(0xffffffff));
  w.add(check(1));  // main skips 0
  w.add(check(2));
  w.answered_through(0xffffffff);
  CHECK(w.size() == 2);
  auto c = w.take(2);
  REQUIRE(c);
  CHECK(w.size() == 0);
}
