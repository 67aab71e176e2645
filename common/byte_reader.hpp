// Bounds-checked reading of wire data (STYLE rule 16). A read past the end returns nullopt and
// consumes nothing; lengths from the wire are checked against remaining() before use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sslvpn {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) noexcept : in_(in) {}

  size_t remaining() const noexcept { return in_.size() - pos_; }
  bool empty() const noexcept { return remaining() == 0; }

  std::optional<std::span<const uint8_t>> take(size_t n) noexcept {
    if (n > remaining()) return std::nullopt;
    auto out = in_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  bool skip(size_t n) noexcept { return take(n).has_value(); }
  std::optional<uint8_t> u8() noexcept {
    auto b = take(1);
    return b ? std::optional<uint8_t>((*b)[0]) : std::nullopt;
  }
  std::optional<uint16_t> be16() noexcept { return be<uint16_t>(2); }
  std::optional<uint32_t> be24() noexcept { return be<uint32_t>(3); }
  std::optional<uint32_t> be32() noexcept { return be<uint32_t>(4); }

 private:
  template <class T>
  std::optional<T> be(size_t n) noexcept {
    auto b = take(n);
    if (!b) return std::nullopt;
    T v = 0;
    for (uint8_t x : *b) v = static_cast<T>(v << 8 | x);
    return v;
  }

  std::span<const uint8_t> in_;
  size_t pos_ = 0;
};

}  // namespace sslvpn
