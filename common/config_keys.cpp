#include "common/config_keys.hpp"

#include <algorithm>
#include <iterator>

namespace sslvpn {

// From ocserv 1.x doc/sample.config and src/config.c.
static constexpr std::string_view kOcservKeys[] = {
    "acct", "append-routes", "auth", "auth-timeout", "auto-select-group", "ban-points-connection",
    "ban-points-kkdcp", "ban-points-wrong-password", "ban-reset-time", "ban-time", "banner",
    "ca-cert", "camouflage", "camouflage_realm", "camouflage_secret", "cert-group-oid",
    "cert-user-oid", "chroot-dir", "cisco-client-compat", "cisco-svc-client-compat",
    "client-bypass-protocol", "compression", "config-per-group", "config-per-user", "connect-script",
    "cookie-timeout", "crl", "custom-header", "default-domain", "default-group-config",
    "default-select-group", "default-user-config", "deny-roaming", "device", "dh-params",
    "disconnect-script", "dns", "dpd", "dtls-legacy", "dtls-psk", "enable-auth", "expose-iroutes",
    "host-update-script", "idle-timeout", "included-http-headers", "iroute", "ipv4-netmask",
    "ipv4-network", "ipv6-network", "ipv6-subnet-prefix", "isolate-workers", "keepalive",
    "key-pin", "kkdcp", "limit-worker-memory", "listen-clear-file", "listen-host",
    "listen-host-is-dyndns", "listen-netns", "listen-proxy-proto", "log-level", "match-tls-dtls-ciphers",
    "max-ban-score", "max-clients", "max-same-clients", "min-reauth-time", "mobile-dpd",
    "mobile-idle-timeout", "mtu", "nbns", "net-priority", "no-compress-limit", "no-route",
    "ocsp-response", "occtl-socket-file", "output-buffer", "persistent-cookies", "pid-file",
    "pin-file", "ping-leases", "pre-login-banner", "predictable-ips", "proxy-url", "rate-limit-ms",
    "rekey-method", "rekey-time", "restrict-user-to-ports", "restrict-user-to-routes", "route",
    "route-add-cmd", "route-del-cmd", "run-as-group", "run-as-user", "rx-data-per-sec",
    "sec-mod-scale", "select-group", "select-group-by-url", "server-cert", "server-drain-ms",
    "server-key", "server-stats-reset-time", "session-timeout", "socket-file", "split-dns",
    "srk-pin", "srk-pin-file", "stats-report-time", "switch-to-tcp-timeout", "syslog",
    "tcp-port", "timestamp", "tls-priorities", "try-mtu-discovery", "tunnel-all-dns",
    "tx-data-per-sec", "udp-listen-host", "udp-port", "use-dbus", "use-occtl", "use-seccomp",
    "use-utmp", "user-profile", "compression-algo-priority", "cookie-rekey-time", "nets",
    "ipv6-prefix", "restrict-user-to-groups", "http-headers", "cert-user-oid-fallback",
};

bool is_ocserv_key(std::string_view key) noexcept {
  return std::find(std::begin(kOcservKeys), std::end(kOcservKeys), key) != std::end(kOcservKeys);
}

}  // namespace sslvpn
