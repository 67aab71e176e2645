// What an Access-Accept assigns to the session, as ocserv's radius auth and sup-config take
// it: Service-Type (anything but Framed refuses the login), Framed-IP-Address and
// Framed-IPv6-Address (the session's addresses), Framed-IP-Netmask (with the user's own
// network), Framed-Route, Framed-IPv6-Route and Framed-IPv6-Prefix (its routes),
// MS-Primary/Secondary-DNS-Server and DNS-Server-IPv6-Address (its DNS servers),
// Session-Timeout, Acct-Interim-Interval and, with groupconfig, Class (its group). Not
// applied: Delegated-IPv6-Prefix (ocserv leases it as the client's address; sslvpnd's IPv6
// leases come from ipv6-network). A pure function of the attributes, each value in wire form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ipc.pb.h"

namespace sslvpn::secmod {

// One attribute of a RADIUS reply: id is radcli's (vendor << 16 | attribute); value is the
// attribute's wire value: 4 bytes big-endian for integers and IPv4 addresses, 16 for an IPv6
// address, reserved byte + prefix length + prefix bytes for an IPv6 prefix, bytes for a string.
struct RadiusAttr {
  unsigned id = 0;
  std::string value;
};

struct RadiusAssignment {
  bool refused = false;
  std::string why;  // refused: for the log
  std::vector<std::string> groups;
  ipc::UserSettings settings;
};

inline constexpr unsigned kRadiusMsVendor = 311;
inline constexpr unsigned kRadiusMsPrimaryDns = (kRadiusMsVendor << 16) | 28;
inline constexpr unsigned kRadiusMsSecondaryDns = (kRadiusMsVendor << 16) | 29;
inline constexpr size_t kMaxRadiusRoutes = 256;
inline constexpr size_t kMaxRadiusDns = 8;

RadiusAssignment radius_assignment(const std::vector<RadiusAttr>& attrs, bool groupconfig);

}  // namespace sslvpn::secmod
