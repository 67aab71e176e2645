// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF"), for hash tables
// whose keys a peer chooses (client addresses): with a key of our own it cannot pick keys that
// all fall into one bucket and turn each lookup into a walk of the table. std::hash of a string
// has no key (libstdc++'s is MurmurHash with a fixed seed).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sslvpn {

// The 64-bit SipHash-2-4 of `data` under the 128-bit `key` (bytes, as the paper gives it).
uint64_t siphash24(const std::array<uint8_t, 16>& key, std::span<const uint8_t> data) noexcept;

// A hasher for std::unordered_map/set with string keys: each instance has its own random key.
class KeyedStringHash {
 public:
  KeyedStringHash();  // a key from getrandom(2)
  explicit KeyedStringHash(const std::array<uint8_t, 16>& key) : key_(key) {}
  size_t operator()(std::string_view s) const noexcept {
    return static_cast<size_t>(siphash24(key_, {reinterpret_cast<const uint8_t*>(s.data()), s.size()}));
  }

 private:
  std::array<uint8_t, 16> key_{};
};

}  // namespace sslvpn
