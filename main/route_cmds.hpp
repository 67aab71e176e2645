// route-add-cmd / route-del-cmd (ocserv's): the shell commands that route each of a session's
// iroutes (the networks behind its client) into its tunnel device, and take them away again.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sslvpn::mainproc {

// `tmpl` for one network: %{R} and %R become the route as ocserv gives it (IPv4 as
// 192.168.2.0/255.255.255.0, IPv6 as fd00::/64), %{RI} the route in CIDR form (192.168.2.0/24),
// %{D} and %D the device. Every other character is kept as it is. The values are main's own
// (a parsed network, a device name main chose): nothing a client sent reaches the shell.
std::string expand_route_cmd(std::string_view tmpl, std::string_view route_net_mask,
                             std::string_view route_cidr, std::string_view device);

// Takes from `held` (a tunnel's routed networks) those in `wanted`, and returns them.
std::vector<std::string> take_routes(std::vector<std::string>& held, const std::vector<std::string>& wanted);

// The commands for each of `iroutes` (as sessions hold them: "10.99.0.0/24"; one that does not
// parse is skipped), in order.
std::vector<std::string> iroute_commands(std::string_view tmpl, const std::vector<std::string>& iroutes,
                                         std::string_view device);

}  // namespace sslvpn::mainproc
