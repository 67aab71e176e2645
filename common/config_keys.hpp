// The list of configuration keys ocserv knows, used to tell "not implemented yet" (a warning)
// from "unknown" (an error).
#pragma once

#include <string_view>

namespace sslvpn {

bool is_ocserv_key(std::string_view key) noexcept;

// ocserv's other names for a key (src/config.c: "ipv4-dns" and "ipv6-dns" are "dns",
// "ipv4-nbns" and "ipv6-nbns" are "nbns"), in the main file and in per-user files alike; any
// other key is returned as it is.
std::string_view canonical_key(std::string_view key) noexcept;

}  // namespace sslvpn
