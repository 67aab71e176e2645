// Main parses every unclaimed UDP datagram before any state exists: it must never misread.
#include <cstdint>

#include "main/udp/dtls_hello.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  auto r = sslvpn::mainproc::parse_dtls_datagram({d, n});
  if (r.ok() && r->session_id.size() > 32) __builtin_trap();
  return 0;
}
