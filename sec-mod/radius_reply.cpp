#include "sec-mod/radius_reply.hpp"

#include <algorithm>
#include <optional>

#include "common/ip_addr.hpp"
#include "common/passwd_file.hpp"
#include "sec-mod/radius_auth.hpp"

namespace sslvpn::secmod {
namespace {

// RFC 2865, 2869, 3162, 4818, 6911: the attributes an Access-Accept may assign.
enum : unsigned {
  kServiceType = 6,
  kFramedIpAddress = 8,
  kFramedIpNetmask = 9,
  kFramedRoute = 22,
  kClass = 25,
  kSessionTimeout = 27,
  kAcctInterimInterval = 85,
  kFramedIpv6Prefix = 97,
  kFramedIpv6Route = 99,
  kFramedIpv6Address = 168,
  kDnsServerIpv6Address = 169,
};
constexpr uint32_t kServiceFramed = 2;

std::optional<uint32_t> u32(const std::string& v) {
  if (v.size() != 4) return std::nullopt;
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(v[i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

std::optional<IpAddr> addr_of(const std::string& v) {
  if (v.size() != 4 && v.size() != 16) return std::nullopt;
  IpAddr a;
  a.family = v.size() == 4 ? 2 : 10;
  std::copy(v.begin(), v.end(), a.b.begin());
  return a;
}

// reserved, prefix length, then at most 16 bytes of prefix (RFC 3162 2.3).
std::optional<IpNet> prefix_of(const std::string& v) {
  // Some prefix bytes and a length that is not 0 (ocserv takes none without them either).
  if (v.size() <= 2 || v.size() > 18 || v[1] == 0 || static_cast<uint8_t>(v[1]) > 128) return std::nullopt;
  IpAddr a;
  a.family = 10;
  std::copy(v.begin() + 2, v.end(), a.b.begin());
  auto n = parse_ip_net(a.to_string() + "/" + std::to_string(static_cast<uint8_t>(v[1])));
  return n;
}

// "engineers", or "OU=engineers;..." as ocserv accepts.
std::string class_group(std::string c) {
  if (c.rfind("OU=", 0) == 0) {
    size_t end = c.find(';');
    c = c.substr(3, end == std::string::npos ? std::string::npos : end - 3);
  }
  return c;
}

void add_route(ipc::UserSettings& s, const std::string& net) {
  if (!net.empty() && static_cast<size_t>(s.routes_size()) < kMaxRadiusRoutes) s.add_routes(net);
}

void add_dns(ipc::UserSettings& s, const std::optional<IpAddr>& a) {
  if (a && static_cast<size_t>(s.dns_size()) < kMaxRadiusDns) s.add_dns(a->to_string());
}

// One attribute; false when it refuses the login.
bool apply(const RadiusAttr& at, bool groupconfig, RadiusAssignment& r) {
  ipc::UserSettings& s = r.settings;
  auto n = u32(at.value);
  switch (at.id) {
    case kServiceType:
      if (n && *n != kServiceFramed) {
        r.why = "the RADIUS server assigned Service-Type " + std::to_string(*n) + ", not Framed-User";
        return false;
      }
      return true;
    case kFramedIpAddress:
      // 255.255.255.255 (negotiated) and .254 (the server's pool): no address of its own.
      if (n && *n != 0xffffffffu && *n != 0xfffffffeu) s.set_explicit_ipv4(addr_of(at.value)->to_string());
      return true;
    case kFramedIpNetmask:
      if (auto a = addr_of(at.value); a && a->is_v4())
        if (auto len = netmask_prefix(a->to_string())) s.set_ipv4_netmask(std::to_string(*len));
      return true;
    case kFramedRoute:
    case kFramedIpv6Route:
      add_route(s, framed_route_network(at.value));
      return true;
    case kFramedIpv6Prefix:
      if (auto p = prefix_of(at.value)) add_route(s, p->to_string());
      return true;
    case kFramedIpv6Address:
      if (auto a = addr_of(at.value); a && !a->is_v4()) s.set_explicit_ipv6(a->to_string());
      return true;
    case kDnsServerIpv6Address:
      if (auto a = addr_of(at.value); a && !a->is_v4()) add_dns(s, a);
      return true;
    case kRadiusMsPrimaryDns:
    case kRadiusMsSecondaryDns:
      if (auto a = addr_of(at.value); a && a->is_v4()) add_dns(s, a);
      return true;
    case kSessionTimeout:
      if (n) s.set_session_timeout(*n);
      return true;
    case kAcctInterimInterval:
      if (n) s.set_interim_interval(*n);
      return true;
    case kClass:
      if (groupconfig)
        if (std::string g = class_group(at.value); valid_group_name(g)) r.groups.push_back(std::move(g));
      return true;
    default:
      return true;
  }
}

}  // namespace

RadiusAssignment radius_assignment(const std::vector<RadiusAttr>& attrs, bool groupconfig) {
  RadiusAssignment r;
  for (const auto& a : attrs) {
    if (!apply(a, groupconfig, r)) {
      r.refused = true;
      return r;
    }
  }
  return r;
}

}  // namespace sslvpn::secmod
