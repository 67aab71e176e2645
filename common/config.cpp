#include "common/config.hpp"
#include "common/config_nvm.hpp"
#include "common/config_openvpn.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>
#include <sstream>

#include "common/config_auth.hpp"
#include "common/config_keys.hpp"
#include "common/config_values.hpp"
#include "common/config_vhost.hpp"
#include "common/port_filter.hpp"
#include "common/text.hpp"

namespace sslvpn {
namespace {

constexpr size_t kMaxHeaderLines = 64;  // included-http-headers, custom-header: each

// Values that only make sense together once the whole file is read.
struct Pending {
  std::string ipv4_network, ipv4_netmask;
  int ipv4_network_line = 0;
  std::string ipv6_network;  // as given: ocserv's prefix may come apart, in 'ipv6-prefix'
  int ipv6_network_line = 0;
  std::optional<uint8_t> ipv6_prefix;
};

using cfgval::fail;
using cfgval::parse_addr;
using cfgval::parse_net;
using cfgval::parse_uint;

struct Ctx : cfgval::Where {
  Pending* pending = nullptr;
  std::vector<ConfigWarning>* warnings = nullptr;
  void warn(std::string what) const {
    if (warnings) warnings->push_back({line, std::move(what)});
  }
};

// ocserv writes header lines as they are: one sslvpnd would not send (malformed, or a header the
// server sets itself) is left out with a warning, so that the file still loads.
std::optional<std::string> header_line(const Ctx& c, std::string_view v, HeaderUse use) {
  if (auto why = header_line_error(v, use)) {
    c.warn("'" + std::string(c.key) + " = " + replace_control_chars(std::string(v.substr(0, 80)), '?') +
           "' is left out: " + *why);
    return std::nullopt;
  }
  return std::string(v);
}

// Thrown by a handler for a line that is left out (with a warning): the key keeps its value.
struct SkipEntry {};

// Levenshtein distance of two short keys, '_' taken as '-' and without case.
size_t key_distance(std::string_view a, std::string_view b) {
  auto norm = [](char ch) {
    return ch == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  };
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (norm(a[i - 1]) == norm(b[j - 1]) ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::optional<std::string> near_known_key(std::string_view key);

// Booleans whose default is the open one: a value that is no boolean is an error there, not a
// skipped line (ocserv would read 'restrict-user-to-routes = ture' as false too, silently).
bool guards_something(std::string_view key) {
  return key == "restrict-user-to-routes" || key == "deny-roaming" || key == "camouflage";
}

// ocserv reads a boolean that is neither true nor yes as false, and starts: a value that is no
// boolean ("true;", "ture") loads here too, with a warning, but leaves the key at its default
// (for isolate-workers that is true: a typo must not switch the sandbox off).
bool parse_bool(const Ctx& c, std::string_view v) {
  std::string s = lowercase(v);
  if (s == "true" || s == "yes" || s == "1" || s == "on") return true;
  if (s == "false" || s == "no" || s == "0" || s == "off") return false;
  if (guards_something(c.key))
    fail(c.origin, c.line,
         "'" + std::string(c.key) + "' expects true or false, got '" +
             replace_control_chars(std::string(v), '?') + "'");
  c.warn("'" + std::string(c.key) + "' expects true or false, got '" +
         replace_control_chars(std::string(v), '?') + "': the line is left out");
  throw SkipEntry{};
}

// A number ocserv takes (it reads any int) above what sslvpnd allows for a time or a rate: the
// most sslvpnd allows, with a warning, so that the configuration still loads.
uint32_t capped(const Ctx& c, std::string_view v, uint32_t max) {
  uint32_t n = parse_uint(c, v, 0xffffffffu);
  if (n <= max) return n;
  c.warn("'" + std::string(c.key) + " = " + std::string(v) + "' is more than sslvpnd takes; " +
         std::to_string(max) + " is used");
  return max;
}
// Seconds ("none" and "unlimited" are 0), at most a year.
uint32_t seconds(const Ctx& c, std::string_view v) {
  return v == "none" || v == "unlimited" ? 0 : capped(c, v, 86400 * 365);
}

// ocserv features sslvpnd does without: turning them off is accepted quietly, asking for them
// gets a warning.
void accept_if_off(const Ctx& c, std::string_view v, std::string_view why) {
  if (cfgval::parse_bool(c, v))
    c.warn("'" + std::string(c.key) + " = true' is not implemented by sslvpnd (" + std::string(why) +
           "); ignored");
}

// compression-algo-priority = NAME:PRIORITY (ocserv's; one method per line, higher first).
void set_compression_priority(Config& cfg, const Ctx& c, std::string_view v) {
  auto colon = v.find(':');
  if (colon == std::string_view::npos)
    fail(c.origin, c.line, "compression-algo-priority must be NAME:PRIORITY (e.g. lzs:100)");
  std::string name = lowercase(trim(v.substr(0, colon)));  // ocserv: without case
  uint32_t prio = static_cast<uint32_t>(parse_uint(c, trim(v.substr(colon + 1)), 100000));
  if (prio == 0) fail(c.origin, c.line, "compression-algo-priority: the priority must be at least 1");
  if (name == "oc-lz4" || name == "lz4")
    cfg.lz4_priority = prio;
  else if (name == "lzs")
    cfg.lzs_priority = prio;
  else
    fail(c.origin, c.line, "compression-algo-priority: unknown method '" + name + "' (oc-lz4, lzs)");
}

SelectGroup parse_select_group(const Ctx& c, std::string_view v) {
  SelectGroup g;
  auto open = v.find('[');
  if (open == std::string_view::npos) {
    g.name = std::string(v);
    g.label = g.name;
  } else {
    if (v.back() != ']') fail(c.origin, c.line, "select-group: missing ']' in '" + std::string(v) + "'");
    g.name = std::string(trim(v.substr(0, open)));
    g.label = std::string(v.substr(open + 1, v.size() - open - 2));
  }
  if (g.name.empty()) fail(c.origin, c.line, "select-group: empty group name");
  return g;
}

// cert-user-oid / cert-group-oid: a dotted OID, or SAN(rfc822name) for the e-mail address.
std::string check_cert_oid(const Ctx& c, std::string_view v) {
  if (v == "SAN(rfc822name)") return std::string(v);
  bool ok = !v.empty() && v.front() != '.' && v.back() != '.';
  for (char ch : v) ok = ok && ((ch >= '0' && ch <= '9') || ch == '.');
  if (!ok)
    fail(c.origin, c.line,
         "'" + std::string(c.key) + "' expects an OID such as 2.5.4.3 (CN) or SAN(rfc822name), got '" +
             std::string(v) + "'");
  return std::string(v);
}

// A server-cert or server-key line: the first is the host's first pair, later ones its further
// pairs (ocserv's RSA and ECDSA certificates, say), kMaxCertPairs in all at most.
void add_pair_part(const Ctx& c, std::string_view key, std::string_view v, std::string& first,
                   std::vector<std::string>& more) {
  if (first.empty()) {
    first = v;
    return;
  }
  if (more.size() + 1 >= kMaxCertPairs)
    fail(c.origin, c.line,
         "more than " + std::to_string(kMaxCertPairs) + " " + std::string(key) + " lines for one host");
  more.emplace_back(v);
}

using Handler = std::function<void(Config&, const Ctx&, std::string_view)>;

const std::map<std::string_view, Handler>& handlers() {
  static const std::map<std::string_view, Handler> h = {
      {"auth",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         if (cfg.auth_chains.empty()) cfg.auth_chains.emplace_back();
         add_auth_method(c, c.warnings, cfg.auth_chains.front(), v);
       }},
      {"enable-auth",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         // ocserv reads the whole file before it sorts the methods out: 'auth' may come later,
         // and fills the first chain, kept for it here.
         if (cfg.auth_chains.empty()) cfg.auth_chains.emplace_back();
         add_auth_method(c, c.warnings, cfg.auth_chains.emplace_back(), v);
       }},
      {"acct",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         AuthMethod m = parse_auth_method(v);
         if (m.name == "pam") {  // ocserv's: the PAM stack's account checks for every new session
           cfg.acct_pam_service = m.params.count("service") ? m.params.at("service") : "sslvpnd";
           if (cfg.acct_pam_service.empty() || cfg.acct_pam_service.find('/') != std::string::npos)
             fail(c.origin, c.line, "acct = pam[service=NAME]: NAME must be a file name in /etc/pam.d");
           return;
         }
         if (m.name != "radius")
           fail(c.origin, c.line, "accounting method '" + m.name + "' is not supported (supported: radius, pam)");
         if (m.params.count("config") == 0) m.params["config"] = "/etc/radcli/radiusclient.conf";
         cfg.acct = std::move(m);
       }},
      {"stats-report-time",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         cfg.stats_report_time = capped(c, v, 86400);
         if (cfg.stats_report_time != 0 && cfg.stats_report_time < 10)
           fail(c.origin, c.line, "'stats-report-time' must be 0 (off) or at least 10 seconds");
       }},
      {"config-per-user", [](Config& cfg, const Ctx&, std::string_view v) { cfg.config_per_user = v; }},
      {"config-per-group", [](Config& cfg, const Ctx&, std::string_view v) { cfg.config_per_group = v; }},
      {"default-user-config", [](Config& cfg, const Ctx&, std::string_view v) { cfg.default_user_config = v; }},
      {"default-group-config", [](Config& cfg, const Ctx&, std::string_view v) { cfg.default_group_config = v; }},
      {"rx-data-per-sec",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.rx_per_sec = cfgval::parse_uint64(c, v); }},
      {"tx-data-per-sec",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.tx_per_sec = cfgval::parse_uint64(c, v); }},
      {"restrict-user-to-routes",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.restrict_user_to_routes = parse_bool(c, v); }},
      {"deny-roaming", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.deny_roaming = parse_bool(c, v); }},
      {"user-profile", [](Config& cfg, const Ctx&, std::string_view v) { cfg.user_profile = v; }},
      {"append-routes", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.append_routes = parse_bool(c, v); }},
      {"expose-iroutes",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.expose_iroutes = parse_bool(c, v); }},
      {"persistent-cookies",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.persistent_cookies = parse_bool(c, v); }},
      {"listen-netns", [](Config& cfg, const Ctx&, std::string_view v) { cfg.listen_netns = v; }},
      {"auto-select-group",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.auto_select_group = parse_bool(c, v); }},
      {"restrict-user-to-ports",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         std::string error;
         auto f = parse_port_filter(v, &error);
         if (!f) fail(c.origin, c.line, "restrict-user-to-ports: " + error);
         cfg.restrict_user_to_ports = port_filter_text(*f);
       }},
      {"listen-proxy-proto",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.listen_proxy_proto = parse_bool(c, v); }},
      {"ca-cert", [](Config& cfg, const Ctx&, std::string_view v) { cfg.ca_cert = v; }},
      {"crl", [](Config& cfg, const Ctx&, std::string_view v) { cfg.crl = v; }},
      {"ocsp-response", [](Config& cfg, const Ctx&, std::string_view v) { cfg.ocsp_response = v; }},
      {"cert-user-oid",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.cert_user_oid = check_cert_oid(c, v); }},
      {"cert-group-oid",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.cert_group_oid = check_cert_oid(c, v); }},
      {"cert-require-client-purpose",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.cert_require_client_purpose = parse_bool(c, v); }},
      {"listen-host", [](Config& cfg, const Ctx&, std::string_view v) { cfg.listen_host = v; }},
      {"tcp-port", [](Config& cfg, const Ctx& c,
                      std::string_view v) { cfg.tcp_port = static_cast<uint16_t>(parse_uint(c, v, 65535)); }},
      {"run-as-user", [](Config& cfg, const Ctx&, std::string_view v) { cfg.run_as_user = v; }},
      {"run-as-group", [](Config& cfg, const Ctx&, std::string_view v) { cfg.run_as_group = v; }},
      {"chroot-dir", [](Config& cfg, const Ctx&, std::string_view v) { cfg.chroot_dir = v; }},
      {"isolate-workers",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.isolate_workers = parse_bool(c, v); }},
      {"pid-file", [](Config& cfg, const Ctx&, std::string_view v) { cfg.pid_file = v; }},
      {"server-cert",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         // ocserv takes several pairs (an RSA and an ECDSA certificate, say), each key after its
         // certificate; GnuTLS shows each client one its signature algorithms accept.
         add_pair_part(c, "server-cert", v, cfg.server_cert, cfg.more_server_certs);
       }},
      {"server-key",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         if (v.starts_with("pkcs11:") || v.starts_with("tpmkey:") || v.starts_with("system:"))
           fail(c.origin, c.line,
                "server-key '" + std::string(v) +
                    "': key URLs (PKCS#11, TPM, system) are not supported yet; give a key file (PEM or DER)");
         add_pair_part(c, "server-key", v, cfg.server_key, cfg.more_server_keys);
       }},
      {"tls-priorities", [](Config& cfg, const Ctx&, std::string_view v) { cfg.tls_priorities = v; }},
      // ocserv's own plumbing (the IPC socket path): sslvpnd talks to sec-mod over socketpairs.
      {"socket-file", [](Config&, const Ctx&, std::string_view) {}},
      {"cisco-client-compat",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.cisco_client_compat = parse_bool(c, v); }},
      // ocserv's older name: `false` turns cisco-client-compat on, as ocserv reads it.
      {"always-require-cert",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         if (!parse_bool(c, v)) cfg.cisco_client_compat = true;
       }},
      {"select-group-by-url",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.select_group_by_url = parse_bool(c, v); }},
      {"try-mtu-discovery",
       [](Config&, const Ctx& c, std::string_view v) {
         accept_if_off(c, v, "the MTU comes from the client's base MTU and its own probes");
       }},
      {"compression", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.compression = parse_bool(c, v); }},
      {"no-compress-limit",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         cfg.no_compress_limit = std::max<uint32_t>(static_cast<uint32_t>(parse_uint(c, v, 65535)), 64);
       }},
      {"compression-algo-priority", [](Config& cfg, const Ctx& c, std::string_view v) { set_compression_priority(cfg, c, v); }},
      {"ping-leases",
       [](Config&, const Ctx& c, std::string_view v) { accept_if_off(c, v, "leases are not pinged"); }},
      {"cisco-svc-client-compat",
       [](Config&, const Ctx& c, std::string_view v) {
         accept_if_off(c, v, "no /svc login for Cisco IP phones");
       }},
      {"log-level",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.log_level = static_cast<int>(parse_uint(c, v, 9)); }},
      {"listen-host-is-dyndns",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.listen_host_is_dyndns = parse_bool(c, v); }},
      {"client-bypass-protocol",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.client_bypass_protocol = parse_bool(c, v); }},
      {"server-stats-reset-time",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.server_stats_reset_time = seconds(c, v); }},
      {"max-logins-in-progress",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.max_logins_in_progress = parse_uint(c, v, 100000); }},
      {"login-queue-timeout",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.login_queue_timeout = parse_uint(c, v, 3600); }},
      {"use-utmp", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.use_utmp = parse_bool(c, v); }},
      {"sec-mod-scale",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.sec_mod_scale = parse_uint(c, v, 64); }},
      {"rate-limit-ms",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.rate_limit_ms = capped(c, v, 60000); }},
      {"max-clients",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.max_clients = parse_uint(c, v, 1u << 24); }},
      {"auth-timeout",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         cfg.auth_timeout = capped(c, v, 86400);
         if (cfg.auth_timeout == 0) fail(c.origin, c.line, "auth-timeout must be at least 1");
       }},
      {"cookie-timeout",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         cfg.cookie_timeout = capped(c, v, 86400 * 30);
         if (cfg.cookie_timeout == 0) fail(c.origin, c.line, "cookie-timeout must be at least 1");
       }},
      {"select-group", [](Config& cfg, const Ctx& c,
                          std::string_view v) { cfg.select_groups.push_back(parse_select_group(c, v)); }},
      {"default-select-group",
       [](Config& cfg, const Ctx&, std::string_view v) { cfg.default_select_group = v; }},
      {"banner", [](Config& cfg, const Ctx&, std::string_view v) { cfg.banner = v; }},
      {"pre-login-banner", [](Config& cfg, const Ctx&, std::string_view v) { cfg.pre_login_banner = v; }},
      {"camouflage", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.camouflage = parse_bool(c, v); }},
      {"camouflage_secret", [](Config& cfg, const Ctx&, std::string_view v) { cfg.camouflage_secret = v; }},
      {"camouflage_realm", [](Config& cfg, const Ctx&, std::string_view v) { cfg.camouflage_realm = v; }},
      {"included-http-headers",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         if (cfg.included_http_headers.size() >= kMaxHeaderLines) fail(c.origin, c.line, "too many headers (64 at most)");
         if (auto line = header_line(c, v, HeaderUse::Answer)) cfg.included_http_headers.push_back(*line);
       }},
      {"custom-header",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         if (cfg.custom_headers.size() >= kMaxHeaderLines) fail(c.origin, c.line, "too many headers (64 at most)");
         if (auto line = header_line(c, v, HeaderUse::ConnectAnswer)) cfg.custom_headers.push_back(*line);
       }},
      {"device",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         // IFNAMSIZ is 16 with the NUL: the kernel numbers the devices within it (as ocserv's).
         if (v.empty() || v.size() > 13 || v.find_first_of("/% \t:") != std::string_view::npos)
           fail(c.origin, c.line, "'device' must be 1..13 characters without '/', '%', ':' or blanks");
         if (v.size() > 10)
           c.warn("'device = " + std::string(v) + "' leaves room for " + std::to_string(15 - v.size()) +
                  "-digit device numbers: at most 1" + std::string(15 - v.size(), '0') + " tunnels at once");
         cfg.device = v;
       }},
      {"tun-offload", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.tun_offload = parse_bool(c, v); }},
      {"ipv4-network",
       [](Config&, const Ctx& c, std::string_view v) {
         c.pending->ipv4_network = v;
         c.pending->ipv4_network_line = c.line;
       }},
      {"ipv4-netmask", [](Config&, const Ctx& c, std::string_view v) { c.pending->ipv4_netmask = v; }},
      {"ipv6-network",
       [](Config&, const Ctx& c, std::string_view v) {
         c.pending->ipv6_network = v;
         c.pending->ipv6_network_line = c.line;
       }},
      {"ipv6-prefix",  // ocserv's older key: the prefix of a bare 'ipv6-network'
       [](Config&, const Ctx& c, std::string_view v) {
         auto p = parse_uint(c, v, 128);
         if (p == 0) fail(c.origin, c.line, "'ipv6-prefix' must be 1..128");
         c.pending->ipv6_prefix = static_cast<uint8_t>(p);
       }},
      {"ipv6-subnet-prefix",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         cfg.ipv6_subnet_prefix = static_cast<uint8_t>(parse_uint(c, v, 128));
       }},
      {"predictable-ips",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.predictable_ips = parse_bool(c, v); }},
      {"dns", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.dns.push_back(parse_addr(c, v)); }},
      {"nbns", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.nbns.push_back(parse_addr(c, v)); }},
      {"split-dns", [](Config& cfg, const Ctx&, std::string_view v) { cfg.split_dns.emplace_back(v); }},
      {"default-domain", [](Config& cfg, const Ctx&, std::string_view v) { cfg.default_domain = v; }},
      {"proxy-url",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         // It travels in a header line and a pushed option (PUSH_REPLY's options are separated by
         // commas): one printable word.
         if (v.empty() || v.size() > 1024 ||
             std::any_of(v.begin(), v.end(),
                         [](char ch) { return (ch >= 0 && ch <= ' ') || ch == 0x7f || ch == '"' || ch == ','; }))
           fail(c.origin, c.line,
                "proxy-url: a URL of at most 1024 printable characters without spaces, quotes or commas");
         cfg.proxy_url = v;
       }},
      {"tunnel-all-dns",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.tunnel_all_dns = parse_bool(c, v); }},
      {"route",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         if (v == "default") return void(cfg.route_default = cfg.route_default_listed = true);
         IpNet n = parse_net(c, v);
         if (n.is_default_route())
           cfg.route_default = cfg.route_default_listed = true;
         else
           cfg.routes.push_back(n);
       }},
      {"no-route", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.no_routes.push_back(parse_net(c, v)); }},
      {"mtu",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         cfg.mtu = parse_uint(c, v, 9000);
         if (cfg.mtu != 0 && cfg.mtu < 576) fail(c.origin, c.line, "'mtu' must be at least 576");
       }},
      {"dpd", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.dpd = seconds(c, v); }},
      {"keepalive", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.keepalive = seconds(c, v); }},
      {"idle-timeout",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.idle_timeout = seconds(c, v); }},
      {"mobile-dpd", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.mobile_dpd = seconds(c, v); }},
      {"mobile-idle-timeout",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.mobile_idle_timeout = seconds(c, v); }},
      {"rekey-time", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.rekey_time = seconds(c, v); }},
      {"rekey-method",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         if (v != "ssl" && v != "new-tunnel") fail(c.origin, c.line, "rekey-method must be 'ssl' or 'new-tunnel'");
         cfg.rekey_in_place = v == "ssl";
       }},
      {"session-timeout",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.session_timeout = seconds(c, v); }},
      {"max-same-clients",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.max_same_clients = parse_uint(c, v, 1u << 20); }},
      {"net-priority",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         cfg.net_priority = cfgval::parse_net_priority(c, v);
         if (!cfg.net_priority->tos && cfg.net_priority->value > 6)
           c.warn("'net-priority = " + std::string(v) +
                  "': a priority above 6 needs CAP_NET_ADMIN, which workers do not have; not applied (as ocserv)");
       }},
      {"replace-same-clients",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.replace_same_clients = parse_bool(c, v); }},
      {"connect-script", [](Config& cfg, const Ctx&, std::string_view v) { cfg.connect_script = v; }},
      {"udp-port",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         cfg.udp_port = static_cast<uint16_t>(parse_uint(c, v, 65535));
       }},
      {"max-ban-score",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.max_ban_score = parse_uint(c, v, 0xffffffffu); }},
      {"ban-time", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.ban_time = seconds(c, v); }},
      // ocserv's old name for ban-time
      {"min-reauth-time", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.ban_time = seconds(c, v); }},
      {"ban-reset-time",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.ban_reset_time = seconds(c, v); }},
      {"ban-points-wrong-password",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.ban_points_wrong_password = parse_uint(c, v, 1u << 20); }},
      {"ban-points-connection",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.ban_points_connection = parse_uint(c, v, 1u << 20); }},
      {"use-occtl", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.use_occtl = parse_bool(c, v); }},
      // ocserv's older name: `true` is use-occtl = true; `false` leaves it as it is.
      {"use-dbus",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         if (parse_bool(c, v)) cfg.use_occtl = true;
       }},
      {"occtl-socket-file", [](Config& cfg, const Ctx&, std::string_view v) { cfg.occtl_socket_file = v; }},
      {"udp-listen-host", [](Config& cfg, const Ctx&, std::string_view v) { cfg.udp_listen_host = v; }},
      {"dtls-psk", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.dtls_psk = parse_bool(c, v); }},
      {"dtls-legacy", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.dtls_legacy = parse_bool(c, v); }},
      {"match-tls-dtls-ciphers",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.match_tls_dtls_ciphers = parse_bool(c, v); }},
      {"switch-to-tcp-timeout",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.switch_to_tcp_timeout = seconds(c, v); }},
      {"disconnect-script", [](Config& cfg, const Ctx&, std::string_view v) { cfg.disconnect_script = v; }},
      {"host-update-script", [](Config& cfg, const Ctx&, std::string_view v) { cfg.host_update_script = v; }},
      {"route-add-cmd", [](Config& cfg, const Ctx&, std::string_view v) { cfg.route_add_cmd = v; }},
      {"route-del-cmd", [](Config& cfg, const Ctx&, std::string_view v) { cfg.route_del_cmd = v; }},
      {"server-drain-ms",
       [](Config& cfg, const Ctx& c, std::string_view v) { cfg.server_drain_ms = capped(c, v, 3600000); }},
      {"key-pin", [](Config& cfg, const Ctx&, std::string_view v) { cfg.key_pin = v; }},
      {"pin-file", [](Config& cfg, const Ctx&, std::string_view v) { cfg.pin_file = v; }},
      {"globalprotect", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.globalprotect = parse_bool(c, v); }},
      {"gp-portal", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.gp_portal = parse_bool(c, v); }},
      {"gp-esp-port",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         cfg.gp_esp_port = static_cast<uint16_t>(parse_uint(c, v, 65535));
       }},
      {"gp-portal-gateway",
       [](Config& cfg, const Ctx& c, std::string_view v) {
         if (v.empty() || v.size() > 255 || v.find_first_of(" \t<>&\"'") != std::string_view::npos)
           fail(c.origin, c.line, "gp-portal-gateway must be HOST or HOST:PORT");
         cfg.gp_portal_gateways.emplace_back(v);
       }},
      {"gp-hip-report", [](Config& cfg, const Ctx& c, std::string_view v) { cfg.gp_hip_report = parse_bool(c, v); }},
      {"gp-portal-name", [](Config& cfg, const Ctx&, std::string_view v) { cfg.gp_portal_name = v; }},
  };
  return h;
}

// Keys that may be given more than once; every other key keeps its last value with a warning.
bool is_list_key(std::string_view k) {
  return k == "auth" || k == "enable-auth" || k == "select-group" || k == "dns" || k == "nbns" ||
         k == "split-dns" || k == "route" || k == "no-route" || k == "gp-portal-gateway" ||
         k == "nvm-exporters" || k == "compression-algo-priority" || k == "server-cert" ||
         k == "server-key" ||  // several pairs per host
         k == "included-http-headers" || k == "custom-header" ||
         k == "acct";  // radius and pam may both be given
}

void finish_ipv4_network(Config& cfg, const Pending& p, std::string_view origin) {
  if (p.ipv4_network.empty()) {
    if (!p.ipv4_netmask.empty()) fail(origin, 0, "'ipv4-netmask' is set without 'ipv4-network'");
    return;
  }
  cfg.ipv4_network = cfgval::ipv4_pool(origin, p.ipv4_network_line, p.ipv4_network, p.ipv4_netmask);
}

// ocserv: 'ipv6-network' may carry its prefix, or take it from 'ipv6-prefix' (which wins when
// both give one); a network with neither is refused, as ocserv refuses it.
void finish_ipv6_network(Config& cfg, const Pending& p, std::string_view origin) {
  if (p.ipv6_network.empty()) return;
  cfg.ipv6_network = cfgval::ipv6_pool(origin, p.ipv6_network_line, p.ipv6_network, p.ipv6_prefix);
}

// The known key (a handler's or an ocserv key's) one or two edits from `key`, if any.
std::optional<std::string> near_known_key(std::string_view key) {
  if (key.size() < 4) return std::nullopt;
  auto close = [&](std::string_view k) { return k != key && key_distance(key, k) <= 2; };
  for (const auto& [k, h] : handlers())
    if (close(k)) return std::string(k);
  for (const auto& k : ocserv_keys())
    if (close(k.key)) return std::string(k.key);
  return std::nullopt;
}

}  // namespace

std::string Config::plain_passwd_file() const {
  for (const auto& c : auth_chains)
    if (c.password && c.password->name == "plain" && c.password->params.count("passwd"))
      return c.password->params.at("passwd");
  return {};
}

uint32_t Config::cert_login_mode() const {
  size_t with_cert = 0;
  for (const auto& c : auth_chains) with_cert += c.certificate ? 1 : 0;
  if (with_cert == 0) return 0;
  return with_cert == auth_chains.size() ? 2 : 1;
}

bool parser_knows_key(std::string_view key) {
  return handlers().count(key) != 0 || openvpn_config::is_key(key) || nvm_config::is_key(key);
}

namespace {

// One "key = value" line (the key canonical), and the [vhost:NAME] sections of a file.
struct Entry {
  int line;
  std::string key;
  std::string value;
};

struct Section {
  std::string name;
  int line = 0;
  std::vector<Entry> entries;
};

// A configuration from its lines, in order; `last_line` is where checks of the whole fail.
Config build_config(const std::vector<Entry>& entries, int last_line, std::string_view origin,
                    std::vector<ConfigWarning>* warnings) {
  Config cfg;
  std::set<std::string, std::less<>> seen;
  Pending pending;
  auto warn = [&](int l, std::string w) {
    if (warnings) warnings->push_back({l, std::move(w)});
  };
  for (const Entry& e : entries) {
    std::string_view key = e.key;
    auto it = handlers().find(key);
    bool ovpn = it == handlers().end() && openvpn_config::is_key(key);
    bool nvm = it == handlers().end() && nvm_config::is_key(key);
    if (it == handlers().end() && !ovpn && !nvm) {
      if (is_ocserv_key(key)) {
        std::string why = "is an ocserv option that sslvpnd does not implement yet; ignored";
        for (const auto& k : ocserv_keys())
          if (k.key == key && k.note != "not implemented yet") why = "is ignored: " + std::string(k.note);
        warn(e.line, "'" + std::string(key) + "' " + why);
        continue;
      }
      // As ocserv, which skips what it does not know; but sslvpnd's own families of keys
      // (openvpn-, nvm-, gp-) are its alone, and a key one or two letters from a known one is a
      // typo that would silently weaken the server (a misspelt auth, crl or restrict-...).
      if (key.starts_with("openvpn-") || key.starts_with("nvm-") || key.starts_with("gp-"))
        fail(origin, e.line, "unknown option '" + std::string(key) + "'");
      if (auto near = near_known_key(key))
        fail(origin, e.line, "unknown option '" + std::string(key) + "' (did you mean '" + *near + "'?)");
      warn(e.line, "unknown option '" + std::string(key) + "'; skipped, as ocserv does");
      continue;
    }
    if (!is_list_key(key) && !seen.insert(std::string(key)).second)
      warn(e.line, "'" + std::string(key) + "' is set again; the last value is used");
    Ctx c;
    c.origin = origin;
    c.line = e.line;
    c.key = key;
    c.pending = &pending;
    c.warnings = warnings;
    try {
      if (ovpn)
        openvpn_config::apply(cfg, c, e.value);
      else if (nvm)
        nvm_config::apply(cfg, c, e.value);
      else
        it->second(cfg, c, e.value);
    } catch (const SkipEntry&) {
    }
  }
  finish_ipv4_network(cfg, pending, origin);
  finish_ipv6_network(cfg, pending, origin);
  // ocserv starts so too (an empty secret is no secret), and hides everything until one is set.
  if (cfg.camouflage && cfg.camouflage_secret.empty())
    warn(last_line,
         "'camouflage = true' without a 'camouflage_secret': every request gets camouflage's refusal, "
         "so no client can connect until a secret is set");
  // ocserv takes any secret; one a client cannot send as it is (a '#' ends the URL, blanks are
  // percent-encoded) never matches, which the admin should hear of.
  if (cfg.camouflage_secret.find_first_of("#% \t") != std::string::npos)
    warn(last_line,
         "'camouflage_secret' has '#', '%' or blanks: clients cannot send it as it is, so it never matches");
  // As ocserv: Cisco's clients know only the legacy DTLS, so cisco-client-compat turns it on.
  if (cfg.cisco_client_compat && !cfg.dtls_legacy) {
    warn(last_line, "'cisco-client-compat' implies 'dtls-legacy = true', as in ocserv; enabled");
    cfg.dtls_legacy = true;
  }
  int line_no = last_line;
  if (cfg.ipv6_network && cfg.ipv6_subnet_prefix < cfg.ipv6_network->prefix)
    fail(origin, line_no, "'ipv6-subnet-prefix' must not be shorter than the prefix of 'ipv6-network'");
  if (cfg.routes.empty()) cfg.route_default = true;
  const bool no_auth_line = !cfg.auth_chains.empty() && !cfg.auth_chains.front().certificate &&
                            !cfg.auth_chains.front().password && cfg.auth_chains.front().unsupported.empty();
  if (no_auth_line) fail(origin, line_no, "'enable-auth' without an 'auth' method");
  std::string left_out;
  std::erase_if(cfg.auth_chains, [&](const AuthChain& a) {
    if (!a.unsupported.empty()) left_out = a.unsupported;
    return !a.unsupported.empty();
  });
  if (cfg.auth_chains.empty() && !left_out.empty())
    fail(origin, line_no,
         "no login method is left: '" + left_out +
             "' is not implemented by sslvpnd (it has plain, pam, radius and certificate)");
  if (cfg.auth_chains.empty()) fail(origin, line_no, "no 'auth' method configured");
  if (cfg.cert_login_mode() != 0 && cfg.ca_cert.empty())
    fail(origin, line_no, "certificate login needs 'ca-cert' (the CA that issues client certificates)");
  if (cfg.server_cert.empty()) fail(origin, line_no, "'server-cert' is required");
  if (cfg.server_key.empty()) fail(origin, line_no, "'server-key' is required");
  if (cfg.more_server_certs.size() != cfg.more_server_keys.size())
    fail(origin, line_no,
         "server-cert and server-key come in pairs (each key after its certificate, as in ocserv): " +
             std::to_string(cfg.more_server_certs.size() + 1) + " certificates, " +
             std::to_string(cfg.more_server_keys.size() + 1) + " keys");
  // tcp-port = 0: no HTTPS port, so no AnyConnect, DTLS or GlobalProtect; an OpenVPN-only server.
  if (cfg.tcp_port == 0 && !cfg.openvpn())
    fail(origin, line_no,
         "'tcp-port = 0' (no AnyConnect or GlobalProtect port) needs an OpenVPN port ('openvpn-udp-port' or "
         "'openvpn-tcp-port')");
  if (cfg.tcp_port == 0 && cfg.udp_port != 0)
    fail(origin, line_no, "'udp-port' (DTLS) needs the AnyConnect port 'tcp-port', which is 0");
  if (cfg.tcp_port == 0 && cfg.gp_esp_port != 0)
    fail(origin, line_no, "'gp-esp-port' needs the GlobalProtect portal on 'tcp-port', which is 0");
  openvpn_config::validate(cfg, origin, line_no);
  nvm_config::validate(cfg, origin, line_no);
  return cfg;
}

// A vhost's configuration: the server-wide lines of the global part, then its own lines (a
// server-wide key among them is ignored with a warning). tls-priorities, when the section has
// none, is the default's (ocserv's rule).
Config build_vhost(const std::vector<Entry>& global, const Section& sec, std::string_view origin,
                   std::vector<ConfigWarning>* warnings) {
  std::vector<Entry> entries;
  for (const Entry& e : global)
    if (vhost_config::server_wide(e.key)) entries.push_back(e);
  bool own_priorities = false;
  for (const Entry& e : sec.entries) own_priorities = own_priorities || e.key == "tls-priorities";
  if (!own_priorities)
    for (const Entry& e : global)
      if (e.key == "tls-priorities") entries.push_back(e);
  for (const Entry& e : sec.entries) {
    if (!vhost_config::server_wide(e.key)) {
      entries.push_back(e);
    } else if (warnings) {
      warnings->push_back({e.line, "'" + e.key + "' applies to the whole server, not to one [vhost:" +
                                       sec.name + "]; the global value is used"});
    }
  }
  std::set<int> own_lines;
  for (const Entry& e : sec.entries) own_lines.insert(e.line);
  std::vector<ConfigWarning> w;
  std::string where = std::string(origin) + " [vhost:" + sec.name + "]";
  Config cfg = build_config(entries, sec.line, where, &w);
  if (warnings)
    for (auto& x : w)
      if (own_lines.count(x.line)) warnings->push_back(std::move(x));
  cfg.vhost = sec.name;
  return cfg;
}

}  // namespace

const Config& Config::for_host(std::string_view name) const {
  for (const auto& v : vhosts)
    if (iequals(v.name, name)) return *v.config;
  return *this;
}

Config parse_config(std::string_view text, std::string_view origin, std::vector<ConfigWarning>* warnings) {
  std::vector<Entry> global;
  std::vector<Section> sections;
  Section* current = nullptr;
  bool skipping = false;  // in a section that is no [vhost:NAME]
  std::vector<ConfigWarning> skipped;
  int line_no = cfgval::for_each_entry(
      text, origin,
      [&](int line, std::string_view given, std::string_view value) {
        if (skipping) return;
        Entry e{line, std::string(canonical_key(given)), std::string(value)};
        (current ? current->entries : global).push_back(std::move(e));
      },
      [&](int line, std::string_view section) {
        current = nullptr;
        // As ocserv: another section is skipped with its keys, with a warning.
        skipping = !trim(section).starts_with("vhost:");
        if (skipping) {
          skipped.push_back(
              {line, "unknown section '[" + std::string(section).substr(0, 64) +
                         "]' (only [vhost:NAME] exists); it and its keys are skipped, as ocserv does"});
          return;
        }
        std::string name = vhost_config::section_name(origin, line, section);
        for (auto& s : sections)  // a second section of the same name adds to the first (ocserv)
          if (s.name == name) current = &s;
        if (current == nullptr) {
          sections.push_back(Section{name, line, {}});
          current = &sections.back();
        }
      });
  Config cfg = build_config(global, line_no, origin, warnings);
  if (warnings) warnings->insert(warnings->end(), skipped.begin(), skipped.end());
  for (const Section& sec : sections)
    cfg.vhosts.push_back(
        {sec.name, std::make_shared<const Config>(build_vhost(global, sec, origin, warnings))});
  // dtls-legacy is server-wide (main's DTLS demultiplexer): a host's cisco-client-compat turns it
  // on for the whole server, as the main section's does.
  for (const auto& v : cfg.vhosts)
    if (v.config->cisco_client_compat && !cfg.dtls_legacy) {
      if (warnings)
        warnings->push_back(
            {line_no, "[vhost:" + v.name +
                          "]'s 'cisco-client-compat' implies 'dtls-legacy = true' (server-wide), "
                          "as in ocserv; enabled"});
      cfg.dtls_legacy = true;
    }
  vhost_config::check_networks(cfg, origin);
  return cfg;
}

Config load_config_file(const std::string& path, std::vector<ConfigWarning>* warnings,
                        std::string* text_out) {
  std::optional<std::string> text = read_file(path);
  if (!text) throw ConfigError("cannot read configuration file '" + path + "'");
  Config cfg = parse_config(*text, path, warnings);
  if (text_out) *text_out = std::move(*text);
  return cfg;
}

}  // namespace sslvpn
