// IPv4/IPv6 addresses and networks as values: parsing, formatting, arithmetic for leases.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sslvpn {

struct IpAddr {
  int family = 0;               // AF_INET or AF_INET6; 0 = unset
  std::array<uint8_t, 16> b{};  // network byte order; IPv4 uses b[0..3]

  bool is_v4() const noexcept { return family == 2; }
  bool valid() const noexcept { return family != 0; }
  size_t size() const noexcept { return is_v4() ? 4 : 16; }
  std::string to_string() const;
  // The same text into `out` (no allocation; IPv4 without printf): its length, 0 when unset.
  static constexpr size_t kMaxText = 46;  // INET6_ADDRSTRLEN
  size_t to_chars(std::span<char, kMaxText> out) const noexcept;
  bool operator==(const IpAddr& o) const noexcept { return family == o.family && b == o.b; }
};

struct IpNet {
  IpAddr addr;  // host bits cleared
  uint8_t prefix = 0;

  std::string to_string() const;        // "10.0.0.0/24", "fd00::/64"
  std::string v4_netmask() const;       // "255.255.255.0"
  std::string v4_with_netmask() const;  // "10.0.0.0/255.255.255.0" (AnyConnect split headers)
  // IPv4 as v4_with_netmask(), IPv6 as CIDR: the form of AnyConnect's split headers, occtl's
  // route lists and ocserv's script variables.
  std::string split_form() const { return addr.is_v4() ? v4_with_netmask() : to_string(); }
  bool contains(const IpAddr& a) const noexcept;
  // 0.0.0.0/0: as in ocserv, a route of everything (the default route), in either family;
  // ::/0 is an IPv6 route like the others.
  bool is_default_route() const noexcept { return addr.is_v4() && prefix == 0; }
  bool operator==(const IpNet& o) const noexcept { return addr == o.addr && prefix == o.prefix; }
};

std::optional<IpAddr> parse_ip(std::string_view s);
// "a.b.c.d/nn", "a.b.c.d/m.m.m.m", "x::/nn", or a bare address (a host network).
// Host bits are cleared. nullopt on anything else (including a non-contiguous mask).
std::optional<IpNet> parse_ip_net(std::string_view s);
// A dotted netmask to a prefix length; nullopt if not contiguous.
std::optional<uint8_t> netmask_prefix(std::string_view mask);

// The address `index` hosts past the network address (index 0 = the network address itself).
IpAddr net_host(const IpNet& n, uint64_t index);

}  // namespace sslvpn
