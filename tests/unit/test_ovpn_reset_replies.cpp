// main's count of replies per OpenVPN reset: a replayed reset is answered twice a second at
// most, whatever its source; other resets are not held back by it; memory stays bounded.
#include <catch2/catch.hpp>

#include "main/udp/reset_replies.hpp"

using sslvpn::mainproc::udp::ResetReplies;
using sslvpn::ovpn::SessionId;

namespace {
SessionId sid(uint64_t n) {
  SessionId s{};
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(n >> (8 * i));
  return s;
}
}  // namespace

TEST_CASE("reset replies: twice a second per session id, whatever the address", "[openvpn]") {
  ResetReplies r;
  CHECK(r.allow(sid(1), 100));
  CHECK(r.allow(sid(1), 100));
  CHECK_FALSE(r.allow(sid(1), 100));  // replayed from anywhere: no third reply this second
  CHECK_FALSE(r.allow(sid(1), 100));
  CHECK(r.allow(sid(2), 100));  // another client is not held back
  CHECK(r.allow(sid(1), 101));  // a client's retransmission later is answered
  CHECK(r.allow(sid(1), 103));
  CHECK(r.allow(sid(1), 103));
  CHECK_FALSE(r.allow(sid(1), 103));
}

TEST_CASE("reset replies: a reply that did not go is not counted", "[openvpn]") {
  ResetReplies r;
  CHECK(r.allow(sid(1), 100));
  CHECK(r.allow(sid(1), 100));
  r.refund(sid(1), 100);  // main's global budget refused the second one
  CHECK(r.allow(sid(1), 100));
  CHECK_FALSE(r.allow(sid(1), 100));
  r.refund(sid(1), 99);  // another second's: nothing to give back
  CHECK_FALSE(r.allow(sid(1), 100));
  r.refund(sid(7), 100);  // never counted: nothing happens
  CHECK(r.size() == 1);
}

TEST_CASE("reset replies: ids of past seconds are swept; past the bound new ids pass uncounted",
          "[openvpn]") {
  ResetReplies r;
  for (uint64_t i = 0; i < 5000; ++i) REQUIRE(r.allow(sid(i), 10));
  CHECK(r.size() == 5000);
  CHECK(r.allow(sid(99999), 11));  // a new second: the old entries go
  CHECK(r.size() == 1);
  for (uint64_t i = 0; i < ResetReplies::kMax + 10; ++i) REQUIRE(r.allow(sid(100000 + i), 12));
  CHECK(r.size() == ResetReplies::kMax);
  // An id counted before the table filled is still held to its bound.
  CHECK(r.allow(sid(100000), 12));
  CHECK_FALSE(r.allow(sid(100000), 12));
}
