// The worker reads the server name of every client's ClientHello before GnuTLS does: any bytes
// from anyone. The parser must never read out of bounds, and a name it returns is bounded.
#include <cstdint>

#include "worker/tls_sni.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  auto name = sslvpn::worker::client_hello_server_name({d, n});
  if (name && (name->empty() || name->size() > sslvpn::worker::kMaxServerName)) __builtin_trap();
  return 0;
}
