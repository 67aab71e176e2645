// sec-mod's CryptoPool: jobs run on its threads, results come back on the loop, signatures go
// before password hashes, and a full lane refuses at once.
#include <ev.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <vector>

#include "sec-mod/crypto_pool.hpp"

using sslvpn::secmod::CryptoPool;

namespace {

// Turns the loop until `done` jobs have reported back (at most 5 s).
void turn_until(struct ev_loop* loop, const std::atomic<int>& reported, int done) {
  for (int i = 0; i < 5000 && reported.load() < done; ++i) {
    ev_run(loop, EVRUN_NOWAIT);
    ::usleep(1000);
  }
}

}  // namespace

TEST_CASE("CryptoPool runs jobs on its threads and reports on the loop") {
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  {
    CryptoPool pool(loop, 2, 16);
    CHECK(pool.threads() == 2);
    std::atomic<int> reported{0};
    std::vector<size_t> seen_threads(8, 99);
    for (int i = 0; i < 8; ++i)
      REQUIRE(pool.submit(
          CryptoPool::Lane::Hash, [&, i](size_t t) { seen_threads[i] = t; }, [&] { ++reported; }));
    CHECK(reported.load() == 0);  // never inside submit
    turn_until(loop, reported, 8);
    CHECK(reported.load() == 8);
    for (size_t t : seen_threads) CHECK(t < 2);
  }
  ev_loop_destroy(loop);
}

TEST_CASE("CryptoPool takes signatures before password hashes") {
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  {
    CryptoPool pool(loop, 1, 16);
    std::mutex mu;
    std::vector<char> order;
    std::atomic<bool> release{false};
    std::atomic<int> reported{0};
    // The one thread is held by a first job while the others queue up behind it.
    REQUIRE(pool.submit(
        CryptoPool::Lane::Hash,
        [&](size_t) {
          for (int i = 0; i < 5000 && !release.load(); ++i) ::usleep(1000);
        },
        [&] { ++reported; }));
    for (int i = 0; i < 3; ++i)
      REQUIRE(pool.submit(
          CryptoPool::Lane::Hash,
          [&](size_t) {
            std::lock_guard<std::mutex> g(mu);
            order.push_back('h');
          },
          [&] { ++reported; }));
    for (int i = 0; i < 2; ++i)
      REQUIRE(pool.submit(
          CryptoPool::Lane::Sign,
          [&](size_t) {
            std::lock_guard<std::mutex> g(mu);
            order.push_back('s');
          },
          [&] { ++reported; }));
    release = true;
    turn_until(loop, reported, 6);
    REQUIRE(reported.load() == 6);
    CHECK(std::string(order.begin(), order.end()) == "sshhh");
  }
  ev_loop_destroy(loop);
}

TEST_CASE("CryptoPool refuses a job when its lane is full, and counts it") {
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  {
    CryptoPool pool(loop, 1, 2);
    std::atomic<bool> release{false};
    std::atomic<int> reported{0};
    auto hold = [&](size_t) {
      for (int i = 0; i < 5000 && !release.load(); ++i) ::usleep(1000);
    };
    REQUIRE(pool.submit(CryptoPool::Lane::Hash, hold, [&] { ++reported; }));
    // The running job has left the queue; wait until it has, then fill the lane.
    for (int i = 0; i < 5000 && pool.queued(CryptoPool::Lane::Hash) != 0; ++i) ::usleep(1000);
    CHECK(pool.unfinished() == 1);  // on its thread: out of the queue, not finished
    CHECK(pool.submit(CryptoPool::Lane::Hash, hold, [&] { ++reported; }));
    CHECK(pool.submit(CryptoPool::Lane::Hash, hold, [&] { ++reported; }));
    CHECK_FALSE(pool.submit(CryptoPool::Lane::Hash, hold, [&] { ++reported; }));
    CHECK(pool.refused(CryptoPool::Lane::Hash) == 1);
    // The other lane has its own bound.
    CHECK(pool.submit(
        CryptoPool::Lane::Sign, [](size_t) {}, [&] { ++reported; }));
    CHECK(pool.refused(CryptoPool::Lane::Sign) == 0);
    CHECK(pool.unfinished() == 4);  // refused jobs are not counted
    release = true;
    turn_until(loop, reported, 4);
    CHECK(reported.load() == 4);
    CHECK(pool.unfinished() == 0);  // every Done has run
  }
  ev_loop_destroy(loop);
}

TEST_CASE("CryptoPool thread count: sec-mod-scale, else one per CPU, within 1..64") {
  CHECK(CryptoPool::thread_count(3) == 3);
  CHECK(CryptoPool::thread_count(1000) == 64);
  CHECK(CryptoPool::thread_count(0) >= 1);
}
