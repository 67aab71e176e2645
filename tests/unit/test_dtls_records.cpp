// DTLS record framing for GnuTLS (common/dtls_records.hpp): whole records only, one
// at a time; a datagram's broken tail is dropped.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/dtls_records.hpp"

using namespace sslvpn;

namespace {

std::vector<uint8_t> record(uint8_t type, size_t body, uint8_t fill) {
  std::vector<uint8_t> r = {
      type, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 7, static_cast<uint8_t>(body >> 8), static_cast<uint8_t>(body)};
  r.insert(r.end(), body, fill);
  return r;
}

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST_CASE("dtls_record_size: a whole record, or 0") {
  auto r = record(23, 40, 0xaa);
  CHECK(dtls_record_size(r) == 53);
  CHECK(dtls_record_size(std::span<const uint8_t>(r).first(52)) == 0);  // its body cut short
  CHECK(dtls_record_size(std::span<const uint8_t>(r).first(12)) == 0);  // not even a header
  CHECK(dtls_record_size({}) == 0);
  auto two = cat({r, record(23, 1, 0xbb)});
  CHECK(dtls_record_size(two) == 53);  // the first of several
  // A header claiming more than the datagram holds (16 kB): what GnuTLS would fill from the
  // datagrams that follow.
  auto liar = record(23, 0, 0);
  liar[11] = 0x40;
  CHECK(dtls_record_size(liar) == 0);
  auto empty_body = record(23, 0, 0);
  CHECK(dtls_record_size(empty_body) == 13);
}

TEST_CASE("DtlsRecordQueue hands out whole records one at a time and drops a broken tail") {
  DtlsRecordQueue q;
  CHECK(q.empty());
  auto a = record(22, 10, 1), b = record(20, 1, 2), c = record(22, 30, 3);
  auto liar = record(23, 0, 0);
  liar[11] = 0x40;  // claims 16 kB
  liar.push_back(9);
  REQUIRE(q.fill(cat({a, b, c, liar})));
  std::vector<uint8_t> out(2048);
  size_t n = q.take(out);
  CHECK(std::vector<uint8_t>(out.begin(), out.begin() + n) == a);
  n = q.take(out);
  CHECK(std::vector<uint8_t>(out.begin(), out.begin() + n) == b);
  CHECK_FALSE(q.empty());
  n = q.take(out);
  CHECK(std::vector<uint8_t>(out.begin(), out.begin() + n) == c);
  CHECK(q.empty());  // the liar and its byte are gone
  CHECK(q.take(out) == 0);

  // Nothing whole at the start: nothing held.
  CHECK_FALSE(q.fill(liar));
  CHECK(q.empty());
  std::vector<uint8_t> junk = {1, 2, 3};
  CHECK_FALSE(q.fill(junk));

  // A record larger than the reader's buffer is dropped, and the next one still comes.
  REQUIRE(q.fill(cat({c, a})));
  std::vector<uint8_t> small(30);
  CHECK(q.take(small) == 0);
  CHECK_FALSE(q.empty());
  n = q.take(out);
  CHECK(std::vector<uint8_t>(out.begin(), out.begin() + n) == a);
  CHECK(q.empty());

  // A new datagram replaces what was left.
  REQUIRE(q.fill(cat({a, b})));
  REQUIRE(q.fill(c));
  n = q.take(out);
  CHECK(std::vector<uint8_t>(out.begin(), out.begin() + n) == c);
  CHECK(q.empty());
}
