#include "common/config_keys.hpp"

#include "common/config_vhost.hpp"

#include <algorithm>

namespace sslvpn {
namespace {

// From ocserv 1.x doc/sample.config and src/config.c, sorted by key.
// Keys some guides give that no ocserv 1.x reads (it skips them as unknown): accepted, so that
// the configurations that carry them load.
constexpr std::string_view kNotOcserv = "not an ocserv option (ocserv skips it as unknown)";

constexpr OcservKey kOcservKeys[] = {
    {"acct", KeyStatus::Implemented, ""},
    {"always-require-cert", KeyStatus::Implemented,
     "ocserv's older key: `false` is `cisco-client-compat = true`"},
    {"append-routes", KeyStatus::Implemented, ""},
    {"auth", KeyStatus::Implemented, ""},
    {"auth-timeout", KeyStatus::Implemented, ""},
    {"auto-select-group", KeyStatus::Implemented, ""},
    {"ban-points-connection", KeyStatus::Implemented, ""},
    {"ban-points-kkdcp", KeyStatus::Warned, "no KKDCP (Kerberos proxy)"},
    {"ban-points-wrong-password", KeyStatus::Implemented, ""},
    {"ban-reset-time", KeyStatus::Implemented, ""},
    {"ban-time", KeyStatus::Implemented, ""},
    {"banner", KeyStatus::Implemented, ""},
    {"ca-cert", KeyStatus::Implemented, ""},
    {"camouflage", KeyStatus::Implemented, "also hides GlobalProtect, whose clients cannot send the secret"},
    {"camouflage_realm", KeyStatus::Implemented, ""},
    {"camouflage_secret", KeyStatus::Implemented, ""},
    {"cert-group-oid", KeyStatus::Implemented, ""},
    {"cert-user-oid", KeyStatus::Implemented, ""},
    {"cert-user-oid-fallback", KeyStatus::Warned, kNotOcserv},
    {"cgroup", KeyStatus::Warned, "deprecated in ocserv"},
    {"chroot-dir", KeyStatus::Implemented, ""},
    {"cisco-client-compat", KeyStatus::Partial,
     "implies select-group-by-url; ocserv's other changes (no TLS 1.3, client certificates requested) are "
     "not made: Cisco clients are served either way"},
    {"cisco-svc-client-compat", KeyStatus::Partial,
     "only `false` (ocserv's sample sets it); `true` is warned about (no `/svc` login for Cisco IP phones)"},
    {"client-bypass-protocol", KeyStatus::Implemented, ""},
    {"compression", KeyStatus::Implemented, ""},
    {"compression-algo-priority", KeyStatus::Implemented, ""},
    {"config-per-group", KeyStatus::Implemented, ""},
    {"config-per-user", KeyStatus::Implemented, ""},
    {"connect-script", KeyStatus::Implemented, ""},
    {"cookie-rekey-time", KeyStatus::Warned, "not implemented yet"},
    {"cookie-timeout", KeyStatus::Implemented, ""},
    {"cookie-validity", KeyStatus::Warned,
     "ocserv 0.8's name, replaced by `cookie-timeout`; ocserv 1.x skips it too"},
    {"crl", KeyStatus::Implemented, ""},
    {"custom-header", KeyStatus::Implemented, ""},
    {"debug-no-secmod-stats", KeyStatus::Warned, "deprecated in ocserv"},
    {"default-domain", KeyStatus::Implemented, ""},
    {"default-group-config", KeyStatus::Implemented, ""},
    {"default-select-group", KeyStatus::Implemented, ""},
    {"default-user-config", KeyStatus::Implemented, ""},
    {"deny-roaming", KeyStatus::Implemented, ""},
    {"device", KeyStatus::Implemented, ""},
    {"dh-params", KeyStatus::Warned, "GnuTLS's RFC 7919 groups are used for DHE"},
    {"disconnect-script", KeyStatus::Implemented, ""},
    {"dns", KeyStatus::Implemented, ""},
    {"dpd", KeyStatus::Implemented, ""},
    {"dtls-legacy", KeyStatus::Implemented, ""},
    {"dtls-psk", KeyStatus::Implemented, ""},
    {"enable-auth", KeyStatus::Implemented, ""},
    {"expose-iroutes", KeyStatus::Implemented, ""},
    {"host-update-script", KeyStatus::Implemented, ""},
    {"http-headers", KeyStatus::Warned, "not implemented yet"},
    {"idle-timeout", KeyStatus::Implemented, ""},
    {"included-http-headers", KeyStatus::Implemented, ""},
    {"ipv4-dns", KeyStatus::Alias, "`dns`"},
    {"ipv4-nbns", KeyStatus::Alias, "`nbns`"},
    {"ipv4-netmask", KeyStatus::Implemented, ""},
    {"ipv4-network", KeyStatus::Implemented, ""},
    {"ipv6-dns", KeyStatus::Alias, "`dns`"},
    {"ipv6-nbns", KeyStatus::Alias, "`nbns`"},
    {"ipv6-network", KeyStatus::Implemented, ""},
    {"ipv6-prefix", KeyStatus::Implemented, "the prefix of a bare `ipv6-network`"},
    {"ipv6-subnet-prefix", KeyStatus::Implemented, ""},
    {"iroute", KeyStatus::Warned,
     "a per-user and per-group key: implemented there, ignored in the main file"},
    {"isolate-workers", KeyStatus::Implemented, ""},
    {"keepalive", KeyStatus::Implemented, ""},
    {"key-pin", KeyStatus::Implemented, ""},
    {"kkdcp", KeyStatus::Warned, "no KKDCP (Kerberos proxy)"},
    {"limit-worker-memory", KeyStatus::Warned, "the systemd unit bounds memory (MemoryMax)"},
    {"listen-clear-file", KeyStatus::Warned, "removed from ocserv in 1.1.2"},
    {"listen-host", KeyStatus::Implemented, ""},
    {"listen-host-is-dyndns", KeyStatus::Implemented, ""},
    {"listen-netns", KeyStatus::Implemented, ""},
    {"listen-proxy-proto", KeyStatus::Implemented, ""},
    {"log-level", KeyStatus::Implemented, ""},
    {"match-tls-dtls-ciphers", KeyStatus::Implemented, ""},
    {"max-ban-score", KeyStatus::Implemented, ""},
    {"max-clients", KeyStatus::Implemented, ""},
    {"max-same-clients", KeyStatus::Implemented, ""},
    {"min-reauth-time", KeyStatus::Implemented, ""},
    {"mobile-dpd", KeyStatus::Implemented, ""},
    {"mobile-idle-timeout", KeyStatus::Implemented, ""},
    {"mtu", KeyStatus::Implemented, ""},
    {"nbns", KeyStatus::Implemented, ""},
    {"net-priority", KeyStatus::Implemented, ""},
    {"nets", KeyStatus::Warned, "not implemented yet"},
    {"no-compress-limit", KeyStatus::Implemented, ""},
    {"no-route", KeyStatus::Implemented, ""},
    {"occtl-socket-file", KeyStatus::Implemented, ""},
    {"ocsp-response", KeyStatus::Implemented, ""},
    {"output-buffer", KeyStatus::Warned, "the worker sizes its own buffers"},
    {"persistent-cookies", KeyStatus::Implemented, ""},
    {"pid-file", KeyStatus::Implemented, ""},
    {"pin-file", KeyStatus::Implemented, ""},
    {"ping-leases", KeyStatus::Partial, "only `false`; `true` is warned about (leases are not pinged)"},
    {"pre-login-banner", KeyStatus::Implemented, ""},
    {"predictable-ips", KeyStatus::Implemented, ""},
    {"proxy-url", KeyStatus::Implemented, ""},
    {"rate-limit-ms", KeyStatus::Implemented, ""},
    {"rekey-method", KeyStatus::Implemented, ""},
    {"rekey-time", KeyStatus::Implemented, ""},
    {"restrict-user-to-groups", KeyStatus::Warned, kNotOcserv},
    {"restrict-user-to-ports", KeyStatus::Implemented, ""},
    {"restrict-user-to-routes", KeyStatus::Implemented, ""},
    {"route", KeyStatus::Implemented, ""},
    {"route-add-cmd", KeyStatus::Implemented, ""},
    {"route-del-cmd", KeyStatus::Implemented, ""},
    {"run-as-group", KeyStatus::Implemented, ""},
    {"run-as-user", KeyStatus::Implemented, ""},
    {"rx-data-per-sec", KeyStatus::Implemented, ""},
    {"sec-mod-scale", KeyStatus::Implemented, ""},
    {"select-group", KeyStatus::Implemented, ""},
    {"select-group-by-url", KeyStatus::Implemented, ""},
    {"server-cert", KeyStatus::Implemented, ""},
    {"server-drain-ms", KeyStatus::Implemented, ""},
    {"server-key", KeyStatus::Implemented, ""},
    {"server-stats-reset-time", KeyStatus::Implemented, ""},
    {"session-control", KeyStatus::Warned, "deprecated in ocserv"},
    {"session-timeout", KeyStatus::Implemented, ""},
    {"socket-file", KeyStatus::NoEffect, "main talks to sec-mod over socketpairs"},
    {"split-dns", KeyStatus::Implemented, ""},
    {"srk-pin", KeyStatus::Warned, "no TPM keys"},
    {"srk-pin-file", KeyStatus::Warned, "no TPM keys"},
    {"stats-report-time", KeyStatus::Implemented, ""},
    {"switch-to-tcp-timeout", KeyStatus::Implemented, ""},
    {"syslog", KeyStatus::Warned, "logs go to stderr, the journal under systemd"},
    {"syslog-facility", KeyStatus::Warned,
     "ocserv 1.5's; sslvpnd logs to syslog's daemon facility (or to stderr, the journal)"},
    {"tcp-port", KeyStatus::Implemented, ""},
    {"timestamp", KeyStatus::Warned, kNotOcserv},
    {"tls-priorities", KeyStatus::Implemented, ""},
    {"try-mtu-discovery", KeyStatus::Partial,
     "only `false`; `true` is warned about (the MTU comes from the client's base MTU and its own probes)"},
    {"tunnel-all-dns", KeyStatus::Implemented, ""},
    {"tx-data-per-sec", KeyStatus::Implemented, ""},
    {"udp-listen-host", KeyStatus::Implemented, ""},
    {"udp-port", KeyStatus::Implemented, ""},
    {"use-dbus", KeyStatus::Implemented, "ocserv's older key: `true` is `use-occtl = true`"},
    {"use-occtl", KeyStatus::Implemented, ""},
    {"use-seccomp", KeyStatus::Warned, "workers are always sandboxed (`isolate-workers`)"},
    {"use-utmp", KeyStatus::Implemented, ""},
    {"user-profile", KeyStatus::Partial,
     "served to the connection that logged in (where openconnect `-x` and Cisco's client fetch it), as "
     "any `/profiles/` path; per-user and per-group files cannot set it (ocserv does not send theirs "
     "either)"},
};

std::string_view status_text(KeyStatus s) {
  switch (s) {
    case KeyStatus::Implemented:
      return "implemented";
    case KeyStatus::Partial:
      return "implemented, with a limit";
    case KeyStatus::NoEffect:
      return "accepted, no effect";
    case KeyStatus::Alias:
      return "another name for";
    case KeyStatus::Warned:
      return "accepted with a warning, ignored";
  }
  return "";
}

}  // namespace

std::span<const OcservKey> ocserv_keys() noexcept {
  return kOcservKeys;
}

bool is_ocserv_key(std::string_view key) noexcept {
  return std::any_of(std::begin(kOcservKeys), std::end(kOcservKeys),
                     [key](const OcservKey& k) { return k.key == key; });
}

std::string_view canonical_key(std::string_view key) noexcept {
  for (const auto& k : kOcservKeys)
    if (k.key == key && k.status == KeyStatus::Alias) return k.note.substr(1, k.note.size() - 2);  // `dns`
  return key;
}

std::string ocserv_keys_markdown() {
  std::string out = "| ocserv key | sslvpnd | why / limit |\n|---|---|---|\n";
  for (const auto& k : kOcservKeys) {
    std::string note(k.note);
    if (k.status == KeyStatus::Implemented && vhost_config::server_wide(k.key))
      note += std::string(note.empty() ? "" : "; ") + "server-wide: a `[vhost:]` section cannot set it";
    out.append("| `")
        .append(k.key)
        .append("` | ")
        .append(status_text(k.status))
        .append(" | ")
        .append(note)
        .append(" |\n");
  }
  return out;
}

}  // namespace sslvpn
