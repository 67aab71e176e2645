// restrict-user-to-ports: every packet a client sends goes through ports_allowed (hostile
// bytes: IPv4 options, IPv6 extension header chains, fragments, truncation); the filter text
// comes from configuration files. Neither may read out of bounds; a parsed filter's text
// parses back to the same filter.
#include <cstdint>
#include <string_view>

#include "common/port_filter.hpp"
#include "worker/tunnel/traffic_policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  using namespace sslvpn;
  std::string error;
  static const PortFilter allow = *parse_port_filter("tcp(443), udp(53), icmp(), icmpv6(), sctp()", &error);
  static const PortFilter deny = *parse_port_filter("!(tcp(22), esp())", &error);
  (void)tunnel::ports_allowed({d, n}, allow);
  (void)tunnel::ports_allowed({d, n}, deny);
  auto f = parse_port_filter(std::string_view(reinterpret_cast<const char*>(d), n), &error);
  if (f) {
    auto again = parse_port_filter(port_filter_text(*f), &error);
    if (!again || port_filter_text(*again) != port_filter_text(*f)) __builtin_trap();
  }
  return 0;
}
