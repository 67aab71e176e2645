#include "worker/openvpn/push.hpp"

#include <algorithm>

#include <arpa/inet.h>

#include "common/ip_addr.hpp"
#include "worker/openvpn/key_method.hpp"

namespace sslvpn::ovpn {
namespace {

// "10.0.0.0/8" -> "10.0.0.0 255.0.0.0"; "" when not an IPv4 network.
std::string ipv4_route(const std::string& cidr) {
  auto slash = cidr.find('/');
  std::string addr = cidr.substr(0, slash);
  int bits = 32;
  if (slash != std::string::npos) {
    try {
      bits = std::stoi(cidr.substr(slash + 1));
    } catch (...) {
      return {};
    }
  }
  in_addr a{};
  if (bits < 0 || bits > 32 || ::inet_pton(AF_INET, addr.c_str(), &a) != 1) return {};
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  in_addr m{htonl(mask)};
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &m, buf, sizeof buf);
  return addr + " " + buf;
}

bool is_ipv6(const std::string& cidr) {
  return cidr.find(':') != std::string::npos;
}

// openvpn takes ifconfig-ipv6 prefixes of 64 to 124 only, while a lease is often a /128 (ocserv's
// ipv6-subnet-prefix): the client gets the prefix of the tunnel's network route that holds its
// address (as an openvpn server pushes its pool's), else 124.
uint32_t client_ipv6_prefix(const ipc::TunnelParams& p) {
  if (p.ipv6_prefix() >= 64 && p.ipv6_prefix() <= 124) return p.ipv6_prefix();
  auto addr = parse_ip(p.ipv6_address());
  uint32_t best = 124;
  for (const auto& r : p.route_include()) {
    auto n = parse_ip_net(r);
    if (addr && n && n->prefix >= 64 && n->prefix <= 124 && n->contains(*addr) && n->prefix < best)
      best = n->prefix;
  }
  return best;
}

}  // namespace

std::vector<std::string> push_options(const ipc::TunnelParams& p, const PushSettings& s) {
  std::vector<std::string> o;
  bool v4 = !p.ipv4_address().empty();
  bool v6 = !p.ipv6_address().empty();
  if (v4) {
    o.push_back("route-gateway " + p.ipv4_local());
    o.push_back("topology subnet");
  }
  o.push_back("ping " + std::to_string(s.ping));
  o.push_back("ping-restart " + std::to_string(s.ping_restart));
  if (v4) o.push_back("ifconfig " + p.ipv4_address() + " " + p.ipv4_netmask());
  if (v6)
    o.push_back("ifconfig-ipv6 " + p.ipv6_address() + "/" + std::to_string(client_ipv6_prefix(p)) + " " +
                p.ipv6_local());
  // Routes: none listed means everything goes through the tunnel ("default" says so too). The
  // pool's own IPv4 network is the ifconfig's connected route already: not pushed again (the
  // client would fail to add it twice).
  std::string own4;
  if (auto own = parse_ip_net(p.ipv4_address() + "/" + p.ipv4_netmask()); v4 && own)
    own4 = ipv4_route(own->to_string());
  bool all4 = p.route_include().empty(), all6 = p.route_include().empty();
  // 0.0.0.0/1 with 128.0.0.0/1 (a connect script's IPv4-only redirect-gateway) is what def1
  // installs, and def1 also keeps the route to the server outside the tunnel: pushed as that.
  auto listed = [&](const char* r) {
    return std::find(p.route_include().begin(), p.route_include().end(), r) != p.route_include().end();
  };
  bool halves4 = listed("0.0.0.0/1") && listed("128.0.0.0/1");
  for (const auto& r : p.route_include()) {
    if (r == "default" || r == "0.0.0.0/0" || r == "::/0") {
      all4 = all4 || r != "::/0";
      all6 = all6 || r != "0.0.0.0/0";
    } else if (halves4 && (r == "0.0.0.0/1" || r == "128.0.0.0/1")) {
      all4 = true;
    } else if (is_ipv6(r)) {
      if (v6) o.push_back("route-ipv6 " + r);
    } else if (std::string rt = ipv4_route(r); v4 && !rt.empty() && rt != own4) {
      o.push_back("route " + rt);
    }
  }
  all4 = all4 && v4;
  all6 = all6 && v6;
  if (all4 || all6)
    o.push_back(std::string("redirect-gateway def1") + (all6 ? " ipv6" : "") + (all4 ? "" : " !ipv4"));
  // IPv4 exclusions only: openvpn's client takes a pushed route-ipv6 only through an address
  // ("route-ipv6 ... net_gateway" is refused, an "Options error"), so it has no IPv6 exclusion.
  for (const auto& r : p.route_exclude()) {
    if (is_ipv6(r)) {
      continue;
    } else if (std::string rt = ipv4_route(r); v4 && !rt.empty()) {
      o.push_back("route " + rt + " net_gateway");
    }
  }
  for (const auto& d : p.dns()) o.push_back("dhcp-option DNS" + std::string(is_ipv6(d) ? "6 " : " ") + d);
  if (!p.default_domain().empty()) o.push_back("dhcp-option DOMAIN " + p.default_domain());
  for (const auto& d : p.split_dns()) o.push_back("dhcp-option DOMAIN-SEARCH " + d);
  // OpenVPN Connect's; openvpn 2.x hands it to its scripts (foreign_option_N). One word only,
  // and no comma (PUSH_REPLY's separator): a user or group name with either is not pushed.
  if (const auto& pac = p.proxy_pac_url(); !pac.empty() && std::none_of(pac.begin(), pac.end(), [](char ch) {
        return (ch >= 0 && ch <= ' ') || ch == '"' || ch == ',';
      }))
    o.push_back("dhcp-option PROXY_AUTO_CONFIG_URL " + pac);
  // openvpn 2.6's own form, to clients that announce it (IV_PROTO_DNS_OPTION, or 2.7's _V2):
  // it takes precedence over dhcp-option on the client. One address per server id.
  if (s.iv_proto & (kIvProtoDns | kIvProtoDnsV2)) {
    int id = 0;
    for (const auto& d : p.dns()) o.push_back("dns server " + std::to_string(id++) + " address " + d);
    std::string domains;
    for (const auto& d : p.split_dns()) domains += " " + d;
    if (!domains.empty()) o.push_back("dns search-domains" + domains);
  }
  if (s.client_sent_mtu && p.mtu() != 0) o.push_back("tun-mtu " + std::to_string(p.mtu()));
  if (s.iv_proto & kIvProtoDataV2) o.push_back("peer-id " + std::to_string(s.peer_id));
  if (s.rcvbuf != 0) o.push_back("rcvbuf " + std::to_string(s.rcvbuf));
  o.push_back("cipher " + s.cipher);
  // Keys from the TLS exporter when the client can (2.6); else both sides use openvpn's PRF
  // over the key-method-2 randoms, which needs no option (2.5 and older know neither below).
  bool ekm = s.iv_proto & kIvProtoTlsKeyExport;
  if (s.iv_proto & kIvProtoCcExit)
    o.push_back(ekm ? "protocol-flags cc-exit tls-ekm" : "protocol-flags cc-exit");
  else if (ekm)
    o.push_back("key-derivation tls-ekm");
  return o;
}

std::vector<std::string> push_reply_messages(const std::vector<std::string>& options) {
  static const std::string kHead = "PUSH_REPLY";
  static const std::string kMore = ",push-continuation 2";
  static const std::string kLast = ",push-continuation 1";
  std::vector<std::string> out;
  std::string cur = kHead;
  for (const auto& opt : options) {
    if (opt.size() + kHead.size() + kMore.size() + 1 > kMaxPushMessage) continue;  // cannot fit anywhere
    if (cur.size() + 1 + opt.size() + kMore.size() > kMaxPushMessage) {
      out.push_back(cur + kMore);
      cur = kHead;
    }
    cur += "," + opt;
  }
  if (out.empty()) {
    out.push_back(cur);
  } else {
    out.push_back(cur + kLast);
  }
  return out;
}

}  // namespace sslvpn::ovpn
