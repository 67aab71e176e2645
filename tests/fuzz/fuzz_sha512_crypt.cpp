// Differential: whatever setting and password sha512_crypt takes, its answer must be
// libxcrypt's, byte for byte. Input: setting, a newline, the password.
#include <crypt.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "sec-mod/sha512_crypt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  std::string_view in(reinterpret_cast<const char*>(d), n);
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  std::string setting(in.substr(0, nl)), pw(in.substr(nl + 1));
  // Bounded work per input: a custom round count past 20000 is skipped.
  if (auto r = setting.find("rounds=");
      r != std::string::npos && std::strtoul(setting.c_str() + r + 7, nullptr, 10) > 20000)
    return 0;
  auto ours = sslvpn::secmod::sha512_crypt(pw, setting);
  if (!ours) return 0;
  auto data = std::make_unique<crypt_data>();
  const char* ref = crypt_rn(pw.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  if (ref == nullptr || ref[0] == '*' || *ours != ref) std::abort();
  return 0;
}
