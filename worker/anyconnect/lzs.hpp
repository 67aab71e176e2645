// LZS (ANSI X3.241, the "lzs" of X-CSTP-Accept-Encoding): one packet at a time, no history
// between packets. A bit stream, most significant bit first:
//   literal            0 bbbbbbbb
//   match, offset<128  1 1 ooooooo      + length
//   match, offset<2048 1 0 ooooooooooo  + length
//   end marker         1 1 0000000, then zero bits to the byte boundary
//   length 2,3,4 = 00,01,10; 5,6,7 = 1100,1101,1110; 8 and more = 1111, then nibbles of 1111
//   (15 each) until one that is not, which adds its value to 8.
// Pure functions of bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sslvpn::cstp {

// Compresses `in` into `out`; the compressed size, or nullopt when it does not fit in `out`
// (callers give `out` the size worth sending: less than the input).
std::optional<size_t> lzs_compress(std::span<const uint8_t> in, std::span<uint8_t> out) noexcept;

// Decompresses `in` into `out`; the size, or nullopt when `in` is malformed (an offset before
// the start, no end marker) or the result would not fit in `out`.
std::optional<size_t> lzs_decompress(std::span<const uint8_t> in, std::span<uint8_t> out) noexcept;

}  // namespace sslvpn::cstp
