#include "common/config_vhost.hpp"

#include <set>

#include "common/config_values.hpp"
#include "common/text.hpp"

namespace sslvpn::vhost_config {
namespace {

// Longest DNS name (RFC 1035).
constexpr size_t kMaxHostName = 253;

const std::set<std::string_view, std::less<>>& server_wide_keys() {
  static const std::set<std::string_view, std::less<>> k = {
      // listeners and processes
      "listen-host", "udp-listen-host", "tcp-port", "udp-port", "listen-netns", "listen-proxy-proto",
      "run-as-user", "run-as-group", "chroot-dir", "isolate-workers", "pid-file", "socket-file",
      "occtl-socket-file", "use-occtl", "use-dbus", "log-level", "sec-mod-scale", "server-drain-ms",
      "server-stats-reset-time", "use-utmp",
      // iroutes' commands (ocserv's are server-wide too)
      "route-add-cmd", "route-del-cmd",
      // admission, bans and login timers (main and sec-mod keep one of each)
      "max-clients", "rate-limit-ms", "max-logins-in-progress", "login-queue-timeout", "auth-timeout",
      "cookie-timeout", "max-ban-score", "ban-time", "min-reauth-time", "ban-reset-time",
      "ban-points-wrong-password", "ban-points-connection",
      // accounting (one RADIUS accounting client)
      "acct", "stats-report-time",
      // the UDP port's DTLS (main's demultiplexer)
      "dtls-psk", "dtls-legacy", "match-tls-dtls-ciphers", "switch-to-tcp-timeout",
      // GlobalProtect's portal and ESP port
      "globalprotect", "gp-portal", "gp-esp-port", "gp-portal-gateway", "gp-hip-report", "gp-portal-name"};
  return k;
}

}  // namespace

bool server_wide(std::string_view key) {
  return server_wide_keys().count(key) != 0 || key.starts_with("openvpn-") || key.starts_with("nvm-");
}

std::string section_name(std::string_view origin, int line, std::string_view section) {
  std::string_view s = trim(section);
  if (!s.starts_with("vhost:"))
    cfgval::fail(origin, line, "unknown section '[" + std::string(section) + "]' (only [vhost:NAME] exists)");
  std::string_view n = trim(s.substr(6));
  if (n.empty() || n.size() > kMaxHostName)
    cfgval::fail(origin, line, "[vhost:NAME] needs a host name of 1 to 253 characters");
  std::string out;
  for (char ch : n) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '.' || ch == '_';
    if (!ok)
      cfgval::fail(origin, line,
                   "[vhost:" + std::string(n) + "]: a host name has letters, digits, '-', '_' and '.' only");
    out.push_back(static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch));
  }
  if (out == "default")
    cfgval::fail(origin, line, "[vhost:default] is the name of the global settings; choose another");
  return out;
}

void check_networks(const Config& root, std::string_view origin) {
  std::vector<const Config*> all{&root};
  for (const auto& v : root.vhosts) all.push_back(v.config.get());
  auto name = [](const Config* c) {
    return c->vhost.empty() ? std::string("the default host") : "[vhost:" + c->vhost + "]";
  };
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = i + 1; j < all.size(); ++j)
      for (bool v6 : {false, true}) {
        const auto& a = v6 ? all[i]->ipv6_network : all[i]->ipv4_network;
        const auto& b = v6 ? all[j]->ipv6_network : all[j]->ipv4_network;
        if (!a || !b) continue;
        bool same = a->to_string() == b->to_string() &&
                    (!v6 || all[i]->ipv6_subnet_prefix == all[j]->ipv6_subnet_prefix);
        bool overlap = a->contains(b->addr) || b->contains(a->addr);
        if (overlap && !same)
          cfgval::fail(origin, 0,
                       name(all[i]) + " and " + name(all[j]) + " have overlapping " +
                           (v6 ? "ipv6-network" : "ipv4-network") + "s (" + a->to_string() + ", " +
                           b->to_string() + "); use the same network (one pool) or separate ones");
      }
}

}  // namespace sslvpn::vhost_config
