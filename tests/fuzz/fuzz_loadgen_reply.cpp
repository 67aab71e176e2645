#include <cstdint>
#include <string_view>

#include "tools/loadgen/http_reply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  std::string_view in(reinterpret_cast<const char*>(d), n);
  size_t used = 0;
  for (bool head_only : {false, true}) {
    auto r = sslvpn::loadgen::parse_reply(in, head_only, &used);
    if (r.ok() && r->has_value() && used > n) __builtin_trap();
  }
  (void)sslvpn::loadgen::form_inputs(in);
  (void)sslvpn::loadgen::auth_complete(in);
  return 0;
}
