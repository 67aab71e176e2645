// The PROXY protocol header (haproxy's proxy-protocol.txt, versions 1 and 2) that a load
// balancer puts before a client's bytes when `listen-proxy-proto` is on: the client's real
// address and the address it connected to. main reads it before anything else of the
// connection; a pure function of the bytes peeked.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sslvpn::mainproc {

enum class ProxyParse : uint8_t {
  Ok,          // a whole header: `length` bytes, addresses filled when `has_addresses`
  Incomplete,  // the bytes so far are a prefix of a header (the spec lets us drop these)
  Invalid,     // not a PROXY header, or a malformed one
};

struct ProxyHeader {
  ProxyParse result = ProxyParse::Invalid;
  size_t length = 0;           // bytes to consume before the client's own data
  bool has_addresses = false;  // false: LOCAL (v2) or UNKNOWN (v1), e.g. a health check
  int version = 0;             // 1 or 2
  sockaddr_storage source{};   // the client
  sockaddr_storage dest{};     // the address the client connected to
  std::string error;           // why, when Invalid
};

// The largest header worth reading: v1's 107 bytes, or v2's 16 + addresses + TLVs (haproxy
// sends a few TLVs; longer ones are refused as Invalid).
constexpr size_t kMaxProxyHeader = 1024;

ProxyHeader parse_proxy_header(std::span<const uint8_t> bytes);

}  // namespace sslvpn::mainproc
