// Main peeks at every new TCP connection's first bytes before admitting it: any bytes at all,
// from anyone. The classification must never read out of bounds or crash.
#include <cstdint>

#include "main/tls_hello.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  auto k = sslvpn::mainproc::classify_client_hello({d, n});
  if (n < 5 && k != sslvpn::mainproc::HelloKind::Unknown) __builtin_trap();  // not even a record header
  return 0;
}
