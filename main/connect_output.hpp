// What a connect-script may hand back, as openvpn's client-connect script does: the file named
// by its first argument (and by client_connect_config_file), in openvpn's configuration syntax.
// Read once the script exits with 0; applied to that tunnel only, over the session's settings:
//   push "route NET [MASK [GATEWAY [METRIC]]]"  a route through the tunnel (no gateway, or
//                                               vpn_gateway); with net_gateway, a route around
//                                               it (no-route); 0.0.0.0 0.0.0.0: all of IPv4
//   push "route-ipv6 NET/LEN [GATEWAY]"          the same for IPv6 (net_gateway is sslvpnd's:
//                                               openvpn's client takes no such route); ::/0
//                                               is all of IPv6
//   push "redirect-gateway [FLAGS]"             all of IPv4 through the tunnel; with the flag
//                                               ipv6 all of IPv6 too, with !ipv4 not IPv4
//                                               (openvpn's meaning; other flags ignored)
//   push "dhcp-option DNS|DNS6 ADDRESS"         a DNS server
//   push "dhcp-option DOMAIN NAME"              the default domain
//   push "dhcp-option DOMAIN-SEARCH NAME"       a split-DNS domain (split-dns)
//   push "dhcp-option WINS ADDRESS"             an NBNS server
//   push-reset                                  what the script pushed before is dropped,
//                                               and so is what the configuration and the
//                                               per-user files push (routes, no-routes, DNS
//                                               and NBNS servers, domains): of those, what
//                                               the script pushes after is all the client
//                                               gets (other settings, e.g. tunnel-all-dns
//                                               or timeouts, stay)
//   iroute NET [MASK], iroute-ipv6 NET/LEN       a network behind the client: main routes it
//                                               into this client's tunnel (as a per-user
//                                               `iroute`); push-reset leaves these
//   disable                                     the tunnel is refused
//   ifconfig-push ADDR [MASK], ifconfig-ipv6-push ADDR/LEN [REMOTE]
//                                               the client's address: applied from a
//                                               client-config-dir file (read before the
//                                               lease), not from a script's output
// Lines are read as openvpn reads them (quotes, backslashes, '#' and ';' comments). Anything
// else (other pushes, a route via another gateway, a domain with other
// characters than letters, digits, '-', '_' and '.') is listed in `ignored`, for the log.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "common/ip_addr.hpp"
#include "common/result.hpp"
#include "ipc.pb.h"

namespace sslvpn::mainproc {

inline constexpr size_t kMaxConnectOutput = 65536;  // bytes of the file read
inline constexpr size_t kMaxConnectEntries = 256;   // routes, no-routes and DNS servers, each

struct ConnectOutput {
  bool disable = false;
  bool push_reset = false;
  bool redirect4 = false;  // all of IPv4 through the tunnel
  bool redirect6 = false;  // all of IPv6
  std::vector<IpNet> routes;
  std::vector<IpNet> no_routes;
  std::vector<IpNet> iroutes;  // networks behind the client, routed into its tunnel
  std::vector<IpAddr> dns;
  std::vector<IpAddr> nbns;            // dhcp-option WINS
  std::vector<std::string> split_dns;  // dhcp-option DOMAIN-SEARCH
  std::string domain;
  std::optional<IpAddr> ifconfig4;   // ifconfig-push
  std::optional<IpAddr> ifconfig6;   // ifconfig-ipv6-push
  std::vector<std::string> ignored;  // the directives not applied (at most kMaxConnectEntries)
};

// Malformed: an unterminated quote, more than kMaxConnectEntries of a kind, or text longer
// than kMaxConnectOutput. `error` names the line.
Result<ConnectOutput> parse_connect_output(std::string_view text, std::string* error);

// The session's settings with the script's output over them. The routes a script pushes add to
// the session's (from `base`, else the configuration `cfg_routes`/`cfg_route_default`), unless
// the session already sends everything through the tunnel (then they change nothing) or
// push-reset came first (then they replace them, and the client is routed to its own VPN
// networks, `vpn_nets`, and to those only when nothing else is pushed, as openvpn's client
// would be). All of one address family is 0.0.0.0/1 + 128.0.0.0/1 (IPv4) or ::/0 (IPv6);
// all of every family the session has (`vpn_nets` says which) is "default", everything; a
// family it has no address in is not redirected.
// No-routes, DNS and NBNS servers and split-DNS domains add to the session's (the
// configuration's when `base` has none).
// After push-reset they replace them, and without any the session has none: `pushed_reset`
// tells main to use the settings' (maybe empty) lists, not the configuration's.
ipc::UserSettings apply_connect_output(const ipc::UserSettings& base, const Config& cfg,
                                       const std::vector<IpNet>& vpn_nets, const ConnectOutput& out);

}  // namespace sslvpn::mainproc
