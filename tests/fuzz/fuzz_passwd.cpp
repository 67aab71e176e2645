#include <cstdint>
#include <string_view>

#include "common/passwd_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  std::string_view text{reinterpret_cast<const char*>(d), n};
  auto e = sslvpn::parse_passwd_line(text);
  if (e.ok()) {
    // What we format we must read back identically.
    auto back = sslvpn::parse_passwd_line(sslvpn::format_passwd_line(*e));
    if (!back.ok() || back->user != e->user || back->locked != e->locked) __builtin_trap();
  }
  (void)sslvpn::find_passwd_entry(text, "alice");
  (void)sslvpn::first_hash_setting(text);
  return 0;
}
