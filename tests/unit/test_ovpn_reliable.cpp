// OpenVPN's reliability layer (worker/openvpn/reliable.hpp) with virtual time: loss,
// duplication, reordering, window limits and back-off, no clock but the one passed in.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "worker/openvpn/reliable.hpp"

using namespace sslvpn::ovpn;
using namespace std::chrono_literals;

namespace {

std::vector<uint8_t> bytes(uint8_t b) {
  return {b};
}

}  // namespace

TEST_CASE("ovpn reliable: messages go out in order, at most the send window at once") {
  Reliable r;
  Clock::time_point t{};
  for (uint8_t i = 0; i < 10; ++i) REQUIRE(r.send(0x20, bytes(i)));
  auto first = r.due(t);
  REQUIRE(first.size() == Reliable::kSendWindow);
  for (size_t i = 0; i < first.size(); ++i) CHECK(first[i]->id == i);
  CHECK(r.due(t).empty());  // nothing new until an ACK or a timeout
  // ACKing id 0 slides the window by one.
  CHECK(r.ack(0));
  auto next = r.due(t);
  REQUIRE(next.size() == 1);
  CHECK(next[0]->id == 6);
  // An ACK for something never sent, or twice, changes nothing.
  CHECK_FALSE(r.ack(0));
  CHECK_FALSE(r.ack(42));
}

TEST_CASE("ovpn reliable: retransmission after 2 s, doubling, capped; none over TCP") {
  Reliable r;
  Clock::time_point t{};
  REQUIRE(r.send(0x20, bytes(1)));
  REQUIRE(r.due(t).size() == 1);
  CHECK(r.next_deadline() == t + 2s);
  CHECK(r.due(t + 1999ms).empty());
  CHECK(r.due(t + 2s).size() == 1);
  CHECK(r.next_deadline() == t + 2s + 4s);
  CHECK(r.due(t + 5s).empty());
  CHECK(r.due(t + 6s).size() == 1);
  Clock::time_point now = t + 6s;
  for (int i = 0; i < 10; ++i) {
    now = r.next_deadline();
    CHECK(r.due(now).size() == 1);
  }
  CHECK(r.next_deadline() - now == Reliable::kMaxTimeout);
  CHECK(r.retransmissions() == 12);

  Reliable tcp(false);
  REQUIRE(tcp.send(0x20, bytes(1)));
  REQUIRE(tcp.due(t).size() == 1);
  CHECK(tcp.due(t + 1h).empty());
  CHECK(tcp.next_deadline() == Clock::time_point::max());
}

TEST_CASE("ovpn reliable: in-order delivery whatever the arrival order; duplicates acked, not delivered") {
  Reliable r;
  CHECK(r.receive(2, 0x20, bytes(2)));
  CHECK(r.receive(1, 0x20, bytes(1)));
  CHECK_FALSE(r.pop());  // 0 is missing
  CHECK(r.receive(0, 0x20, bytes(0)));
  CHECK(r.receive(1, 0x20, bytes(99)));  // a duplicate of one waiting: the first copy stays
  for (uint8_t i = 0; i < 3; ++i) {
    auto m = r.pop();
    REQUIRE(m);
    CHECK(m->id == i);
    CHECK(m->payload == bytes(i));
  }
  CHECK_FALSE(r.pop());
  // A replay of a delivered id is acknowledged again (the peer lost our ACK) but not delivered.
  (void)r.take_acks(100);
  CHECK(r.receive(1, 0x20, bytes(1)));
  CHECK(r.take_acks(8) == std::vector<uint32_t>{1});
  CHECK_FALSE(r.pop());
}

TEST_CASE("ovpn reliable: ids beyond the receive window are dropped without an ACK") {
  Reliable r;
  CHECK_FALSE(r.receive(Reliable::kRecvWindow, 0x20, bytes(1)));
  CHECK_FALSE(r.acks_pending());
  CHECK(r.receive(Reliable::kRecvWindow - 1, 0x20, bytes(1)));
  CHECK(r.acks_pending());
  // A far-away id (a forged or corrupt one) cannot make us buffer anything.
  CHECK_FALSE(r.receive(0x7fffffff, 0x20, bytes(1)));
}

TEST_CASE("ovpn reliable: the send queue is bounded") {
  Reliable r;
  for (size_t i = 0; i < Reliable::kMaxQueued; ++i) REQUIRE(r.send(0x20, bytes(1)));
  CHECK_FALSE(r.send(0x20, bytes(1)));
}

TEST_CASE("ovpn reliable: ACKs taken in batches; the pending list is bounded") {
  Reliable r;
  for (uint32_t i = 0; i < 10; ++i) (void)r.receive(i, 0x20, bytes(1));
  CHECK(r.take_acks(4).size() == 4);
  CHECK(r.take_acks(8).size() == 6);
  CHECK_FALSE(r.acks_pending());
  // Replays of old ids forever: the list never grows past its bound.
  for (int k = 0; k < 1000; ++k) (void)r.receive(static_cast<uint32_t>(k % 10), 0x20, bytes(1));
  CHECK(r.take_acks(1000).size() <= 32);
}

TEST_CASE("ovpn reliable: two ends over a lossy, duplicating, reordering link deliver everything") {
  std::mt19937 rng(7);
  Reliable a, b;
  Clock::time_point t{};
  constexpr int kMessages = 200;
  int sent = 0;
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> wire;  // in flight a -> b
  std::vector<uint32_t> acks;                                   // in flight b -> a
  std::vector<uint8_t> got;
  for (int step = 0; step < 5000 && got.size() < kMessages; ++step) {
    t += 250ms;
    // The sender fills its bounded queue as room frees up.
    while (sent < kMessages && a.send(0x20, bytes(static_cast<uint8_t>(sent)))) ++sent;
    for (const auto* m : a.due(t)) wire.emplace_back(m->id, m->payload);
    std::shuffle(wire.begin(), wire.end(), rng);
    for (auto& [id, p] : wire) {
      int fate = static_cast<int>(rng() % 10);
      if (fate < 3) continue;  // 30 % lost
      (void)b.receive(id, 0x20, p);
      if (fate == 9) (void)b.receive(id, 0x20, p);  // duplicated
    }
    wire.clear();
    while (auto m = b.pop()) got.push_back(m->payload[0]);
    for (uint32_t id : b.take_acks(8))
      if (rng() % 10 >= 3) acks.push_back(id);  // ACKs are lost too
    for (uint32_t id : acks) (void)a.ack(id);
    acks.clear();
  }
  REQUIRE(got.size() == kMessages);
  for (int i = 0; i < kMessages; ++i) CHECK(got[static_cast<size_t>(i)] == static_cast<uint8_t>(i));
}
