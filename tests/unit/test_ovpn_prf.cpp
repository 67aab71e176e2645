// openvpn's key derivation for clients without TLS key export (2.5 and older).
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "worker/openvpn/key_prf.hpp"

using namespace sslvpn;
using namespace sslvpn::ovpn;

namespace {
std::string hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) (s += d[c >> 4]) += d[c & 15];
  return s;
}
std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST_CASE("TLS 1.0 PRF gives openvpn's own test vector", "[openvpn][prf]") {
  // openvpn's tests/unit_tests/openvpn/test_crypto.c, crypto_test_tls_prf: a 117-byte (odd)
  // secret, so its middle byte is in both halves.
  std::string_view secret =
      "Lorem ipsum dolor sit amet, consectetur adipisici elit, sed eiusmod tempor incidunt ut labore et "
      "dolore magna "
      "aliqua.";
  std::string_view seed = "Quis aute iure reprehenderit in voluptate velit esse cillum dolore";
  std::array<uint8_t, 32> out{};
  tls1_prf(bytes(secret), bytes(seed), out);
  CHECK(hex(out) == "d98c8518c85e946927916acfc2d592fbb1567e4b4b1459e6a904ac2ddab72d67");
  // Longer output than one block of either hash: the first 32 bytes do not change.
  std::array<uint8_t, 100> longer{};
  tls1_prf(bytes(secret), bytes(seed), longer);
  CHECK(hex(std::span<const uint8_t>(longer).first(32)) == hex(out));
}

TEST_CASE("openvpn's key expansion from the key-method-2 randoms and session ids", "[openvpn][prf]") {
  // Expected values from an independent implementation (Python's hmac over RFC 2246's P_hash,
  // which gives the vector above), with openvpn's labels and seed order (ssl.c before 2.6).
  std::array<uint8_t, 48> pm{};
  std::array<uint8_t, 32> cr1{}, cr2{}, sr1{}, sr2{};
  for (size_t i = 0; i < 48; ++i) pm[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < 32; ++i) {
    cr1[i] = static_cast<uint8_t>(0x10 + i);
    cr2[i] = static_cast<uint8_t>(0x40 + i);
    sr1[i] = static_cast<uint8_t>(0x80 + i);
    sr2[i] = static_cast<uint8_t>(0xc0 + i);
  }
  SessionId csid{1, 2, 3, 4, 5, 6, 7, 8}, ssid{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
  auto keys = prf_key_material(pm, {cr1, cr2}, {sr1, sr2}, csid, ssid);
  REQUIRE(keys.size() == 256);
  auto k = bytes(keys.view());
  CHECK(hex(k.subspan(0, 16)) == "d06ea124d69b554342db21530f74bca8");
  CHECK(hex(k.subspan(128, 16)) == "fc00a58ca1edfe328bdc94e9d283855f");
  CHECK(hex(k.subspan(240, 16)) == "c6cef21a9b60a3408d7bab84b7bb0ea0");
  // Each input counts: the session ids swapped, or one bit of a random, give other keys.
  auto swapped = prf_key_material(pm, {cr1, cr2}, {sr1, sr2}, ssid, csid);
  CHECK(swapped.view() != keys.view());
  sr1[31] ^= 1;
  auto other = prf_key_material(pm, {cr1, cr2}, {sr1, sr2}, csid, ssid);
  CHECK(other.view() != keys.view());
}
