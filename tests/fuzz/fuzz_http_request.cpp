#include <cstdint>
#include <cstring>

#include "worker/http/http_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  sslvpn::http::Limits lim;
  auto r = sslvpn::http::parse_request({d, n}, lim);
  if (r.ok() && r->has_value() && (*r)->consumed > n) __builtin_trap();  // never beyond the input
  return 0;
}
