// Every configuration key ocserv 1.x knows (src/config.c, doc/sample.config), with what
// sslvpnd does with it. The parser uses it to tell "not implemented yet" (a warning) from
// "unknown" (an error); doc/configuration.md's table of ocserv keys is generated from it
// (`sslvpnd --ocserv-keys`), and a test keeps the two and the parser in step.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace sslvpn {

enum class KeyStatus : uint8_t {
  Implemented,  // as ocserv's
  Partial,      // implemented with the limit the note names
  NoEffect,     // accepted; nothing to do in sslvpnd (the note says why)
  Alias,        // another name of the key in the note
  Warned,       // accepted with a warning and ignored (the note says why)
};

struct OcservKey {
  std::string_view key;
  KeyStatus status;
  std::string_view note;
};

std::span<const OcservKey> ocserv_keys() noexcept;

bool is_ocserv_key(std::string_view key) noexcept;

// ocserv's other names for a key (src/config.c: "ipv4-dns" and "ipv6-dns" are "dns",
// "ipv4-nbns" and "ipv6-nbns" are "nbns"), in the main file and in per-user files alike; any
// other key is returned as it is.
std::string_view canonical_key(std::string_view key) noexcept;

// The table for doc/configuration.md (Markdown, one row per key).
std::string ocserv_keys_markdown();

}  // namespace sslvpn
