#include <cstdint>
#include <string_view>

#include "worker/anyconnect/auth_messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  auto r = sslvpn::anyconnect::parse_client_auth_form({reinterpret_cast<const char*>(d), n});
  if (r.ok() && r->username.size() > sslvpn::anyconnect::kMaxNameField) __builtin_trap();
  return 0;
}
