// The attributes of a RADIUS reply as radcli hands them over (id, value in wire form), from
// bytes: id (2 bytes: low 8 bits the attribute; the Microsoft vendor when the first byte's top
// bit is set), length (1), value.
#include <cstdint>
#include <string>
#include <vector>

#include "sec-mod/radius_reply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  using sslvpn::secmod::RadiusAttr;
  std::vector<RadiusAttr> attrs;
  size_t i = 0;
  while (i + 3 <= n) {
    unsigned id = d[i + 1];
    if (d[i] & 0x80) id |= sslvpn::secmod::kRadiusMsVendor << 16;
    size_t len = d[i + 2];
    i += 3;
    if (len > n - i) len = n - i;
    attrs.push_back({id, std::string(reinterpret_cast<const char*>(d + i), len)});
    i += len;
  }
  auto r = sslvpn::secmod::radius_assignment(attrs, (n & 1) != 0);
  (void)r.settings.ByteSizeLong();
  return 0;
}
