#include "common/keyed_hash.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

namespace sslvpn {
namespace {

constexpr uint64_t rotl(uint64_t x, int b) noexcept {
  return (x << b) | (x >> (64 - b));
}

uint64_t load_le64(const uint8_t* p, size_t n) noexcept {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

struct SipState {
  uint64_t v0, v1, v2, v3;
  void round() noexcept {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  void absorb(uint64_t m) noexcept {  // SipHash-2-4: two rounds per word
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace

uint64_t siphash24(const std::array<uint8_t, 16>& key, std::span<const uint8_t> data) noexcept {
  const uint64_t k0 = load_le64(key.data(), 8), k1 = load_le64(key.data() + 8, 8);
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
             k1 ^ 0x7465646279746573ULL};
  const size_t whole = data.size() / 8 * 8;
  for (size_t i = 0; i < whole; i += 8) s.absorb(load_le64(data.data() + i, 8));
  s.absorb(uint64_t{data.size() & 0xff} << 56 | load_le64(data.data() + whole, data.size() - whole));
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();  // four finalization rounds
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

KeyedStringHash::KeyedStringHash() {
  size_t got = 0;
  while (got < key_.size()) {  // 16 bytes never come short from getrandom once it is seeded
    ssize_t n = ::getrandom(key_.data() + got, key_.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) std::abort();  // no kernel randomness: nothing sound to go on with
    got += static_cast<size_t>(n);
  }
}

}  // namespace sslvpn
