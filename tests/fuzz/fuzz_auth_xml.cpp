#include <cstdint>
#include <string_view>

#include "worker/anyconnect/auth_messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  (void)sslvpn::anyconnect::parse_client_auth_xml({reinterpret_cast<const char*>(d), n});
  return 0;
}
