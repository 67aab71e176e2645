#include "worker/tun/inet_csum.hpp"

#include <bit>
#include <cstring>

namespace sslvpn::tun {
namespace {

// The one's complement sum does not depend on byte order if every word is swapped the same
// way (RFC 1071 2(B)): native words are summed eight bytes at a time and swapped once at the end.
uint16_t native_sum(const uint8_t* p, size_t n) noexcept {
  uint64_t acc = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc += (w & 0xffffffffu) + (w >> 32);
  }
  for (; n >= 2; p += 2, n -= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
  }
  if (n == 1) {
    uint8_t pad[2] = {p[0], 0};
    uint16_t w;
    std::memcpy(&w, pad, 2);
    acc += w;
  }
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

}  // namespace

uint16_t csum_combine(uint16_t a, uint16_t b) noexcept {
  uint32_t s = uint32_t{a} + b;
  return static_cast<uint16_t>((s & 0xffff) + (s >> 16));
}

uint16_t csum_add(uint16_t sum, std::span<const uint8_t> data) noexcept {
  uint16_t s = native_sum(data.data(), data.size());
  if constexpr (std::endian::native == std::endian::little) s = static_cast<uint16_t>(s << 8 | s >> 8);
  return csum_combine(sum, s);
}

uint16_t pseudo_header_sum(std::span<const uint8_t> src, std::span<const uint8_t> dst, uint8_t proto,
                           uint32_t length) noexcept {
  uint16_t s = csum_add(csum_add(0, src), dst);
  uint8_t tail[8];
  store_be32(tail, length);
  tail[4] = tail[5] = tail[6] = 0;
  tail[7] = proto;
  return csum_add(s, tail);
}

}  // namespace sslvpn::tun
