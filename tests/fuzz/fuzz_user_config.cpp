#include <cstdint>
#include <string_view>

#include "common/user_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  std::vector<sslvpn::ConfigWarning> w;
  try {
    auto s = sslvpn::parse_user_config({reinterpret_cast<const char*>(d), n}, "fuzz", &w);
    sslvpn::ipc::UserSettings base;
    sslvpn::merge_user_settings(base, s);
  } catch (const sslvpn::ConfigError&) {
    // the documented way a bad file is reported
  }
  return 0;
}
