// The Internet checksum (RFC 1071) over byte spans, and the TCP/UDP pseudo-header sum.
// Sums are carried as folded 16-bit values in big-endian (wire) order, so partial sums of spans
// that start at even offsets add with csum_combine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sslvpn::tun {

// One's complement sum of `data` as big-endian 16-bit words (an odd last byte is padded with
// zero), added to `sum` and folded to 16 bits. Not inverted.
uint16_t csum_add(uint16_t sum, std::span<const uint8_t> data) noexcept;
uint16_t csum_combine(uint16_t a, uint16_t b) noexcept;

// The pseudo-header sum for TCP/UDP over IPv4 (4-byte addresses) or IPv6 (16-byte ones).
uint16_t pseudo_header_sum(std::span<const uint8_t> src, std::span<const uint8_t> dst, uint8_t proto,
                           uint32_t length) noexcept;

inline uint16_t load_be16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t load_be32(const uint8_t* p) noexcept {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline void store_be16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

}  // namespace sslvpn::tun
