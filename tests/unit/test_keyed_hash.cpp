// SipHash-2-4 against the reference vectors (the paper's key 00..0f), and the table hasher.
#include <catch2/catch.hpp>

#include <numeric>
#include <vector>

#include "common/keyed_hash.hpp"

using sslvpn::KeyedStringHash;
using sslvpn::siphash24;

namespace {
std::array<uint8_t, 16> paper_key() {
  std::array<uint8_t, 16> k{};
  std::iota(k.begin(), k.end(), uint8_t{0});
  return k;
}
std::vector<uint8_t> counting(size_t n) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), uint8_t{0});
  return v;
}
}  // namespace

TEST_CASE("siphash24: the reference vectors", "[hash]") {
  CHECK(siphash24(paper_key(), {}) == 0x726fdb47dd0e0e31ULL);
  CHECK(siphash24(paper_key(), counting(1)) == 0x74f839c593dc67fdULL);
  CHECK(siphash24(paper_key(), counting(15)) == 0xa129ca6149be45e5ULL);  // the paper's example
}

TEST_CASE("keyed string hash: the key decides; two tables get different keys", "[hash]") {
  KeyedStringHash a(paper_key());
  std::string_view s("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e", 15);
  CHECK(a(s) == static_cast<size_t>(0xa129ca6149be45e5ULL));
  KeyedStringHash r1, r2;  // random keys
  CHECK(r1("2001:db8:1:2::") == r1("2001:db8:1:2::"));
  // Over many inputs two random keys disagree (equal on all would mean no key at all).
  int same = 0;
  for (int i = 0; i < 64; ++i) {
    std::string k = "192.0.2." + std::to_string(i);
    same += r1(k) == r2(k);
  }
  CHECK(same < 4);
}
