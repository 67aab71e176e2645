// restrict-user-to-ports (ocserv's syntax): which protocols and destination ports a client may
// send to, e.g. "tcp(443), tcp(80), udp(53), icmp()" (only these) or "!(tcp(22), udp(111))"
// (all but these). Protocols: tcp, udp, sctp, icmp, icmpv6, esp; an empty port is every port.
// Pure; the worker enforces the filter on each packet from the client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sslvpn {

struct PortRule {
  uint8_t protocol = 0;  // IP protocol number
  uint16_t port = 0;     // destination port; 0 = any
};

struct PortFilter {
  bool deny = false;  // "!( ... )": the rules name what is refused
  std::vector<PortRule> rules;
  bool empty() const noexcept { return rules.empty(); }
};

// nullopt with `error` set when the text is not ocserv's syntax. At most 256 rules.
std::optional<PortFilter> parse_port_filter(std::string_view text, std::string* error);

// The filter in ocserv's syntax (what parse_port_filter reads back).
std::string port_filter_text(const PortFilter& f);

// As occtl's show user prints it: "tcp(443), udp()" or, for a deny list, "!tcp(22), !udp(111)".
std::string port_filter_occtl(const PortFilter& f);

// ocserv's script variable value: "tcp 443 udp 53 icmp all" (OCSERV_ALLOW_PORTS / _DENY_PORTS).
std::string port_filter_env(const PortFilter& f);

}  // namespace sslvpn
