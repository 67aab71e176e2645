// With listen-proxy-proto, main parses the first bytes of every TCP connection, from anyone,
// as a PROXY header. Never out of bounds; a header Ok is never longer than the bytes given.
#include <cstdint>

#include "main/proxy_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  auto h = sslvpn::mainproc::parse_proxy_header({d, n});
  if (h.result == sslvpn::mainproc::ProxyParse::Ok && (h.length > n || h.length == 0)) __builtin_trap();
  if (h.result == sslvpn::mainproc::ProxyParse::Ok && h.length > sslvpn::mainproc::kMaxProxyHeader)
    __builtin_trap();
  return 0;
}
