#include <cstdint>
#include <string_view>

#include "common/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  std::vector<sslvpn::ConfigWarning> w;
  try {
    (void)sslvpn::parse_config({reinterpret_cast<const char*>(d), n}, "fuzz", &w);
  } catch (const sslvpn::ConfigError&) {
    // the documented way a bad file is reported
  }
  return 0;
}
