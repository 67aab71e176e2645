// Hex encoding of binary strings (cookies, fingerprints).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sslvpn {

std::string hex_encode(std::span<const uint8_t> in);
// Decodes lower- or upper-case hex; nullopt on an odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view in);

}  // namespace sslvpn
