// AES-256-CTR, which tls-crypt and tls-crypt-v2 use and GnuTLS's API lacks (nettle has it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sslvpn::ovpn {

// `key`: 32 bytes; `iv`: the 16-byte initial counter block. `in` and `out` may be the same.
void aes256_ctr(std::string_view key, const uint8_t* iv, const uint8_t* in, size_t n, uint8_t* out);

}  // namespace sslvpn::ovpn
