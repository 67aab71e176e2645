#include <cstdint>
#include <cstring>

#include "worker/http/camouflage.hpp"
#include "worker/http/http_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  sslvpn::http::Limits lim;
  auto r = sslvpn::http::parse_request({d, n}, lim);
  if (r.ok() && r->has_value() && (*r)->consumed > n) __builtin_trap();  // never beyond the input
  if (r.ok() && r->has_value()) {
    // camouflage's gate over whatever target came in: a pass is a prefix of it, never more
    const std::string& target = (*r)->request.target;
    auto passed = sslvpn::http::camouflage_pass(target, "s3cret");
    if (passed && (passed->size() + 7 != target.size() || target.compare(0, passed->size(), *passed) != 0))
      __builtin_trap();
  }
  return 0;
}
