#include "common/user_config.hpp"

#include "common/config_keys.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "common/config_values.hpp"
#include "common/port_filter.hpp"

namespace sslvpn {
namespace {

using cfgval::Where;
using Handler = std::function<void(ipc::UserSettings&, const Where&, std::string_view)>;

std::string net_text(const Where& w, std::string_view v) {
  return cfgval::parse_net(w, v).to_string();
}

const std::map<std::string_view, Handler>& handlers() {
  static const std::map<std::string_view, Handler> h = {
      {"route",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) {
         if (v == "default") return s.add_routes("default");
         IpNet n = cfgval::parse_net(w, v);
         s.add_routes(n.is_default_route() ? std::string("default") : n.to_string());
       }},
      {"no-route",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) { s.add_no_routes(net_text(w, v)); }},
      {"iroute",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) {
         IpNet n = cfgval::parse_net(w, v);
         if (n.prefix == 0)  // main would replace the server's own default route with it
           cfgval::fail(w.origin, w.line, "'iroute' cannot be a default route");
         s.add_iroutes(n.to_string());
       }},
      {"dns", [](ipc::UserSettings& s, const Where& w,
                 std::string_view v) { s.add_dns(cfgval::parse_addr(w, v).to_string()); }},
      {"nbns", [](ipc::UserSettings& s, const Where& w,
                  std::string_view v) { s.add_nbns(cfgval::parse_addr(w, v).to_string()); }},
      {"split-dns",
       [](ipc::UserSettings& s, const Where&, std::string_view v) { s.add_split_dns(std::string(v)); }},
      {"default-domain",
       [](ipc::UserSettings& s, const Where&, std::string_view v) { s.set_default_domain(std::string(v)); }},
      {"tunnel-all-dns", [](ipc::UserSettings& s, const Where& w,
                            std::string_view v) { s.set_tunnel_all_dns(cfgval::parse_bool(w, v)); }},
      {"explicit-ipv4",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) {
         IpAddr a = cfgval::parse_addr(w, v);
         if (!a.is_v4()) cfgval::fail(w.origin, w.line, "'explicit-ipv4' expects an IPv4 address");
         s.set_explicit_ipv4(a.to_string());
       }},
      {"explicit-ipv6",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) {
         IpAddr a = cfgval::parse_addr(w, v);
         if (a.is_v4()) cfgval::fail(w.origin, w.line, "'explicit-ipv6' expects an IPv6 address");
         s.set_explicit_ipv6(a.to_string());
       }},
      {"rx-data-per-sec", [](ipc::UserSettings& s, const Where& w,
                             std::string_view v) { s.set_rx_per_sec(cfgval::parse_uint64(w, v)); }},
      {"tx-data-per-sec", [](ipc::UserSettings& s, const Where& w,
                             std::string_view v) { s.set_tx_per_sec(cfgval::parse_uint64(w, v)); }},
      {"idle-timeout", [](ipc::UserSettings& s, const Where& w,
                          std::string_view v) { s.set_idle_timeout(cfgval::parse_seconds(w, v)); }},
      {"session-timeout", [](ipc::UserSettings& s, const Where& w,
                             std::string_view v) { s.set_session_timeout(cfgval::parse_seconds(w, v)); }},
      {"stats-report-time", [](ipc::UserSettings& s, const Where& w,
                               std::string_view v) { s.set_interim_interval(cfgval::parse_seconds(w, v)); }},
      {"max-same-clients",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) {
         s.set_max_same_clients(cfgval::parse_uint(w, v, 1u << 20));
       }},
      {"restrict-user-to-routes",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) {
         s.set_restrict_to_routes(cfgval::parse_bool(w, v));
       }},
      {"restrict-user-to-ports",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) {
         std::string error;
         auto f = parse_port_filter(v, &error);
         if (!f) cfgval::fail(w.origin, w.line, "restrict-user-to-ports: " + error);
         s.set_restrict_to_ports(port_filter_text(*f));
       }},
      {"deny-roaming", [](ipc::UserSettings& s, const Where& w,
                          std::string_view v) { s.set_deny_roaming(cfgval::parse_bool(w, v)); }},
      {"no-udp", [](ipc::UserSettings& s, const Where& w,
                    std::string_view v) { s.set_no_udp(cfgval::parse_bool(w, v)); }},
      {"mtu", [](ipc::UserSettings& s, const Where& w,
                 std::string_view v) { s.set_mtu(cfgval::parse_uint(w, v, 9000)); }},
      {"dpd", [](ipc::UserSettings& s, const Where& w,
                 std::string_view v) { s.set_dpd(cfgval::parse_seconds(w, v)); }},
      {"mobile-dpd", [](ipc::UserSettings& s, const Where& w,
                        std::string_view v) { s.set_mobile_dpd(cfgval::parse_seconds(w, v)); }},
      {"mobile-idle-timeout",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) {
         s.set_mobile_idle_timeout(cfgval::parse_seconds(w, v));
       }},
      {"keepalive", [](ipc::UserSettings& s, const Where& w,
                       std::string_view v) { s.set_keepalive(cfgval::parse_seconds(w, v)); }},
      {"hostname",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) {
         if (v.empty() || v.size() > 255 ||
             std::any_of(v.begin(), v.end(), [](char c) { return c <= ' ' || c == 0x7f; }))
           cfgval::fail(w.origin, w.line,
                        "'hostname' expects a host name (no blanks, at most 255 characters)");
         s.set_hostname(std::string(v));
       }},
      {"net-priority",
       [](ipc::UserSettings& s, const Where& w, std::string_view v) {
         auto p = cfgval::parse_net_priority(w, v);
         s.clear_ip_tos();
         s.clear_socket_priority();
         p.tos ? s.set_ip_tos(p.value) : s.set_socket_priority(p.value);
       }},
  };
  return h;
}

// ocserv's other per-user keys: accepted with a warning.
bool is_ocserv_user_key(std::string_view k) {
  static const char* const keys[] = {"cgroup", "user-profile", "interim-update-secs"};
  for (const char* key : keys)
    if (k == key) return true;
  return false;
}

// A time over a year (ocserv takes any int), as in the main configuration: a year, with a
// warning, rather than a refused tunnel for that user.
std::string_view capped_time(const Where& w, std::string_view v, std::vector<ConfigWarning>* warnings) {
  static constexpr std::string_view kTimes[] = {"idle-timeout", "session-timeout", "stats-report-time",
                                                "dpd",          "keepalive",       "mobile-idle-timeout",
                                                "mobile-dpd"};
  static constexpr std::string_view kYear = "31536000";
  if (std::find(std::begin(kTimes), std::end(kTimes), w.key) == std::end(kTimes)) return v;
  if (v.empty() || v.find_first_not_of("0123456789") != std::string_view::npos) return v;
  // Any count of digits (ocserv's atoi takes them all): past 8 significant ones it is over a year.
  std::string_view digits = v.substr(std::min(v.find_first_not_of('0'), v.size()));
  if (digits.size() <= kYear.size() && (digits.empty() || std::stoull(std::string(digits)) <= 86400ull * 365))
    return v;
  if (warnings)
    warnings->push_back({w.line, "'" + std::string(w.key) + " = " + std::string(v) +
                                     "' is more than sslvpnd takes; " + std::string(kYear) + " is used"});
  return kYear;
}

// A user's or group's own pool: its lines may come in any order in the file, so they are
// gathered and read at its end (as ocserv reads a file whole).
struct Pools {
  std::string v4, v4_mask, v6;
  int v4_line = 0, v6_line = 0, mask_line = 0, subnet_line = 0;
  std::optional<uint8_t> v6_prefix, subnet_prefix;

  static uint8_t prefix(const Where& w, std::string_view v) {
    uint32_t p = cfgval::parse_uint(w, v, 128);
    if (p == 0) cfgval::fail(w.origin, w.line, "'" + std::string(w.key) + "' must be 1..128");
    return static_cast<uint8_t>(p);
  }

  bool take(const Where& w, std::string_view v) {
    if (w.key == "ipv4-network") {
      std::tie(v4, v4_line) = std::pair(std::string(v), w.line);
    } else if (w.key == "ipv4-netmask") {
      std::tie(v4_mask, mask_line) = std::pair(std::string(v), w.line);
    } else if (w.key == "ipv6-network") {
      std::tie(v6, v6_line) = std::pair(std::string(v), w.line);
    } else if (w.key == "ipv6-prefix") {
      v6_prefix = prefix(w, v);
    } else if (w.key == "ipv6-subnet-prefix") {
      subnet_prefix = prefix(w, v);
      subnet_line = w.line;
    } else {
      return false;
    }
    return true;
  }

  // As ocserv reads them (it reads the group's file, then the user's, into one record): a
  // network with its size is whole; a bare one takes 'ipv4-netmask' (this file's or the
  // group's) or else the server's netmask, which main knows (UserSettings.ipv4_netmask).
  void finish(ipc::UserSettings& s, std::string_view origin, std::vector<ConfigWarning>* warnings) const {
    auto warn = [&](int line, const std::string& text) {
      if (warnings) warnings->push_back({line, text});
    };
    if (!v4.empty() && (v4.find('/') != std::string::npos || !v4_mask.empty())) {
      s.set_ipv4_network(cfgval::ipv4_pool(origin, v4_line, v4, v4_mask).to_string());
    } else if (!v4.empty()) {
      auto a = parse_ip(v4);
      if (!a || !a->is_v4())
        cfgval::fail(origin, v4_line, "'ipv4-network' is not an IPv4 address: '" + v4 + "'");
      s.set_ipv4_network(a->to_string());
    } else if (!v4_mask.empty()) {
      auto p = netmask_prefix(v4_mask.front() == '/' ? v4_mask.substr(1) : v4_mask);
      if (!p) cfgval::fail(origin, mask_line, "'ipv4-netmask' is not a netmask: '" + v4_mask + "'");
      s.set_ipv4_netmask(std::to_string(*p));
    }
    if (!v6.empty() && (v6.find('/') != std::string::npos || v6_prefix)) {
      s.set_ipv6_network(cfgval::ipv6_pool(origin, v6_line, v6, v6_prefix).to_string());
    } else if (!v6.empty()) {
      auto a = parse_ip(v6);
      if (!a || a->is_v4())
        cfgval::fail(origin, v6_line, "'ipv6-network' is not an IPv6 address: '" + v6 + "'");
      s.set_ipv6_network(a->to_string());
    }
    if (!subnet_prefix) return;
    if (s.ipv6_network().empty())
      return warn(subnet_line,
                  "'ipv6-subnet-prefix' applies only with an 'ipv6-network' in this file; ignored");
    auto net = parse_ip_net(s.ipv6_network());
    if (net && s.ipv6_network().find('/') != std::string::npos && *subnet_prefix < net->prefix)
      cfgval::fail(origin, subnet_line,
                   "'ipv6-subnet-prefix' must not be shorter than the prefix of 'ipv6-network'");
    s.set_ipv6_subnet_prefix(*subnet_prefix);
  }
};

}  // namespace

ipc::UserSettings parse_user_config(std::string_view text, std::string_view origin,
                                    std::vector<ConfigWarning>* warnings) {
  ipc::UserSettings s;
  Pools pools;
  cfgval::for_each_entry(text, origin, [&](int line, std::string_view given, std::string_view value) {
    // ocserv's per-user reader spells this one with underscores (src/sup-config/file.c).
    std::string_view key = given == "tunnel_all_dns" ? "tunnel-all-dns" : canonical_key(given);
    Where w{origin, line, key};
    auto it = handlers().find(key);
    if (it != handlers().end()) return it->second(s, w, capped_time(w, value, warnings));
    if (pools.take(w, value)) return;
    if (is_ocserv_user_key(key)) {
      if (warnings)
        warnings->push_back(
            {line, "'" + std::string(key) +
                       "' is an ocserv per-user option that sslvpnd does not implement yet; ignored"});
      return;
    }
    // As ocserv (sup-config/file.c), which skips what it does not take there: a value that does
    // not parse still refuses the user's tunnels, since what it meant cannot be guessed.
    if (warnings)
      warnings->push_back(
          {line, "'" + std::string(key) + "' cannot be set per user or group; skipped, as ocserv does"});
  });
  pools.finish(s, origin, warnings);
  return s;
}

void merge_user_settings(ipc::UserSettings& b, const ipc::UserSettings& o) {
  auto list = [](auto* dst, const auto& src) {
    if (src.size() > 0) *dst = src;
  };
  if (!o.explicit_ipv4().empty()) b.set_explicit_ipv4(o.explicit_ipv4());
  if (!o.explicit_ipv6().empty()) b.set_explicit_ipv6(o.explicit_ipv6());
  if (!o.ipv4_network().empty()) {
    b.set_ipv4_network(o.ipv4_network());
    if (o.ipv4_network().find('/') != std::string::npos) b.clear_ipv4_netmask();  // whole
  }
  if (!o.ipv4_netmask().empty()) b.set_ipv4_netmask(o.ipv4_netmask());
  if (!o.ipv6_network().empty()) {  // a network and its subnet size go together
    b.set_ipv6_network(o.ipv6_network());
    if (o.has_ipv6_subnet_prefix())
      b.set_ipv6_subnet_prefix(o.ipv6_subnet_prefix());
    else
      b.clear_ipv6_subnet_prefix();
  }
  if (!o.default_domain().empty()) b.set_default_domain(o.default_domain());
  if (!o.hostname().empty()) b.set_hostname(o.hostname());
  list(b.mutable_routes(), o.routes());
  list(b.mutable_no_routes(), o.no_routes());
  list(b.mutable_iroutes(), o.iroutes());
  list(b.mutable_dns(), o.dns());
  list(b.mutable_nbns(), o.nbns());
  list(b.mutable_split_dns(), o.split_dns());
  if (o.has_session_timeout()) b.set_session_timeout(o.session_timeout());
  if (o.has_interim_interval()) b.set_interim_interval(o.interim_interval());
  if (o.has_rx_per_sec()) b.set_rx_per_sec(o.rx_per_sec());
  if (o.has_tx_per_sec()) b.set_tx_per_sec(o.tx_per_sec());
  if (o.has_idle_timeout()) b.set_idle_timeout(o.idle_timeout());
  if (o.has_max_same_clients()) b.set_max_same_clients(o.max_same_clients());
  if (o.has_restrict_to_routes()) b.set_restrict_to_routes(o.restrict_to_routes());
  if (o.has_deny_roaming()) b.set_deny_roaming(o.deny_roaming());
  if (o.has_no_udp()) b.set_no_udp(o.no_udp());
  if (o.has_mtu()) b.set_mtu(o.mtu());
  if (o.has_dpd()) b.set_dpd(o.dpd());
  if (o.has_mobile_dpd()) b.set_mobile_dpd(o.mobile_dpd());
  if (o.has_mobile_idle_timeout()) b.set_mobile_idle_timeout(o.mobile_idle_timeout());
  if (o.has_keepalive()) b.set_keepalive(o.keepalive());
  if (o.has_ip_tos() || o.has_socket_priority()) {  // one net-priority replaces the other
    b.clear_ip_tos();
    b.clear_socket_priority();
    if (o.has_ip_tos()) b.set_ip_tos(o.ip_tos());
    if (o.has_socket_priority()) b.set_socket_priority(o.socket_priority());
  }
  if (o.has_tunnel_all_dns()) b.set_tunnel_all_dns(o.tunnel_all_dns());
  if (o.has_restrict_to_ports()) b.set_restrict_to_ports(o.restrict_to_ports());
}

bool safe_config_name(std::string_view n) {
  if (n.empty() || n.size() > 255 || n.front() == '.') return false;
  for (char c : n)
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace sslvpn
