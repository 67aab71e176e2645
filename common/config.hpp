// The server configuration: ocserv's syntax and key names, parsed once into an immutable value
// (STYLE rule 20). Loading throws ConfigError; it runs only at startup (and, later, on reload).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/config_values.hpp"
#include "common/ip_addr.hpp"

namespace sslvpn {

// Certificate and key pairs one host may have (server-cert/server-key given this many times).
inline constexpr size_t kMaxCertPairs = 4;

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One "auth = name[k=v,k=v]" entry.
struct AuthMethod {
  std::string name;                           // "plain", "pam", "certificate", ...
  std::map<std::string, std::string> params;  // "passwd" -> "/etc/ocserv/ocpasswd"
};

// One "select-group = name[Label]" entry.
struct SelectGroup {
  std::string name;
  std::string label;  // shown in the client's group list; defaults to name
};

// One way to log in: a client certificate, a password method, or both (ocserv's `auth` lines
// are one chain whose entries all apply; each `enable-auth` line is an alternative chain).
struct AuthChain {
  bool certificate = false;
  std::optional<AuthMethod> password;  // plain[...] or pam[...]
  // An ocserv method sslvpnd does not have (gssapi, oidc): the chain is left out with a warning.
  std::string unsupported;
};

struct Config;

// A [vhost:NAME] section: a whole configuration of its own for clients whose TLS server name
// (SNI) is NAME, as in ocserv: it starts from the defaults, not from the global lines, except
// for the keys only the whole server has (config_vhost.hpp), which are the default's.
struct VirtualHost {
  std::string name;  // lower case
  std::shared_ptr<const Config> config;
};

struct Config {
  // [vhost:NAME] sections, in file order (only the top-level configuration has them), and the
  // name of this one ("" for the default host).
  std::vector<VirtualHost> vhosts;
  std::string vhost;
  // The configuration serving TLS server name `name`: its vhost's, or this one.
  const Config& for_host(std::string_view name) const;
  // auth
  std::vector<AuthChain> auth_chains;        // [0] from `auth` lines; then one per `enable-auth` line
  std::string ca_cert;                       // CA file that client certificates must chain to
  std::string crl;                           // CRL file (PEM or DER) checked for client certificates
  std::string ocsp_response;                 // OCSP response (DER) stapled to the handshakes
  std::string cert_user_oid = "2.5.4.3";     // where the user name is in a certificate (CN)
  std::string cert_group_oid;                // where the group is, or empty for none
  bool cert_require_client_purpose = false;  // EKU clientAuth and a key usage, as openvpn's remote-cert-tls
  std::optional<AuthMethod> acct;            // acct = radius[config=FILE]
  std::string acct_pam_service;              // acct = pam[service=NAME]: PAM account checks ("" = off)
  uint32_t stats_report_time = 360;          // seconds between accounting interim updates
  // listening
  std::string listen_host;  // empty = all addresses
  uint16_t tcp_port = 443;
  // privileges and files
  std::string run_as_user = "sslvpnd";
  std::string run_as_group = "sslvpnd";
  std::string chroot_dir;
  bool isolate_workers = true;
  std::string pid_file;
  std::string server_cert;
  std::string server_key;
  // Further certificate and key pairs of this host (ocserv's repeated server-cert/server-key: an
  // RSA and an ECDSA certificate, say), in the file's order; as many keys as certificates.
  std::vector<std::string> more_server_certs;
  std::vector<std::string> more_server_keys;
  std::string key_pin;   // the password of an encrypted server-key (PKCS#8 or PKCS#12), or
  std::string pin_file;  // a file holding it (first line); only sec-mod reads either
  std::string tls_priorities =
      "NORMAL:%SERVER_PRECEDENCE:%COMPAT:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-RSA:-3DES-CBC:-ARCFOUR-128";
  // limits and timers (seconds)
  uint32_t max_clients = 0;  // 0 = unlimited
  uint32_t auth_timeout = 240;
  uint32_t cookie_timeout = 300;
  // login page
  std::vector<SelectGroup> select_groups;
  std::string default_select_group;  // label of the "no group" choice; empty = none offered
  std::string banner;
  std::string pre_login_banner;
  // ocserv's camouflage: requests that do not carry the secret as their query ("/?secret") get
  // a plain web server's answer (404, or 401 with camouflage_realm); CONNECT with a valid cookie
  // goes ahead, and a refused one gets 405.
  bool camouflage = false;
  std::string camouflage_secret;
  std::string camouflage_realm;
  // ocserv's included-http-headers: "Name: value" lines every HTTP answer carries instead of
  // the built-in hardening headers; custom-header: lines added to the CONNECT answer.
  std::vector<std::string> included_http_headers;
  std::vector<std::string> custom_headers;

  // tunnel network
  std::string device = "vpns";        // TUN name prefix; devices are device0, device1, ...
  bool tun_offload = true;            // virtio-net header: GSO writes and TSO reads on TUN devices
  std::optional<IpNet> ipv4_network;  // ipv4-network (+ ipv4-netmask)
  std::optional<IpNet> ipv6_network;  // ipv6-network
  uint8_t ipv6_subnet_prefix = 128;   // size of each client's IPv6 network
  bool predictable_ips = true;        // same user -> same address when free
  std::vector<IpAddr> dns;
  std::vector<IpAddr> nbns;
  std::vector<std::string> split_dns;
  std::string default_domain;
  std::string proxy_url;  // a PAC file's URL for clients; %{U} and %{G} are the user and group
  bool tunnel_all_dns = false;
  bool route_default = false;         // "route = default" (or no route at all)
  bool route_default_listed = false;  // "route = default" itself (what append-routes adds)
  std::vector<IpNet> routes;
  std::vector<IpNet> no_routes;
  // ocserv's append-routes: a user's or group's own routes add to these instead of replacing them.
  bool append_routes = false;
  // ocserv's expose-iroutes: every client is also routed to the iroutes of the config-per-user
  // files (but its own), read with the configuration (settings_loader) into known_iroutes.
  bool expose_iroutes = false;
  std::vector<IpNet> known_iroutes;
  uint32_t mtu = 0;  // 0: derived from the client's base MTU
  // session lifetime (seconds; 0 = none)
  uint32_t dpd = 90;
  uint32_t keepalive = 32400;
  uint32_t idle_timeout = 0;
  uint32_t session_timeout = 0;
  // clients that send X-AnyConnect-Identifier-DeviceType (phones): unset = as dpd / idle-timeout
  std::optional<uint32_t> mobile_dpd;
  std::optional<uint32_t> mobile_idle_timeout;
  // 0 = no rekey. With rekey-method = new-tunnel clients rekey by opening a new tunnel with
  // their cookie; with ssl (and a client with safe renegotiation, as ocserv checks) they
  // renegotiate TLS 1.2 on the same connection, or send a TLS 1.3 KeyUpdate.
  uint32_t rekey_time = 172800;
  bool rekey_in_place =
      true;  // rekey-method = ssl (ocserv's default): TLS renegotiation on the same connection
  // CSTP/DTLS compression (ocserv's keys): off by default; packets up to no-compress-limit
  // bytes go as they are; compression-algo-priority orders the methods (higher first).
  bool compression = false;
  uint32_t no_compress_limit = 256;
  uint32_t lz4_priority = 90, lzs_priority = 80;
  uint32_t max_same_clients = 2;                    // 0 = unlimited
  bool replace_same_clients = false;                // at max-same-clients the oldest tunnel ends instead
  std::optional<cfgval::NetPriority> net_priority;  // net-priority: the client sockets' TOS or priority
  // per-user and per-group settings (files of "key = value" lines; see user_config.hpp)
  std::string config_per_user;       // directory: one file per user name
  std::string config_per_group;      // directory: one file per group name
  std::string default_user_config;   // used when the user has no file
  std::string default_group_config;  // used when the group has no file
  // limits every session gets unless its settings say otherwise
  uint64_t rx_per_sec = 0;  // bytes/s from each client (0 = unlimited)
  uint64_t tx_per_sec = 0;  // bytes/s to each client
  bool restrict_user_to_routes = false;
  std::string restrict_user_to_ports;  // ocserv's syntax, validated; "" = any port
  bool deny_roaming = false;
  // ocserv's persistent-cookies: a user's own disconnect (AnyConnect's BYE, OpenVPN's exit) and
  // sslvpnctl's 'disconnect' leave the session's cookie valid for cookie-timeout.
  bool persistent_cookies = false;
  // ocserv's user-profile: the AnyConnect XML profile's file. main reads it with the rest of the
  // host's files (settings_loader): its bytes, its name under /profiles/ and its SHA-1 (hex).
  std::string user_profile;
  std::string user_profile_xml;
  std::string user_profile_name;
  std::string user_profile_sha1;
  // Every connection on tcp-port starts with a PROXY protocol header (v1 or v2) from a load
  // balancer: its source is the client for bans, logs, scripts and sslvpnctl.
  bool listen_proxy_proto = false;
  std::string connect_script;
  std::string disconnect_script;
  std::string host_update_script;  // run when a tunnel starts with the client's host name known
  // ocserv's: shell commands that route each iroute into its tunnel (%{R}, %{RI}, %{D}) and
  // unroute it at the tunnel's end; with route-add-cmd, main adds no iroute itself.
  std::string route_add_cmd;
  std::string route_del_cmd;
  // bans (ocserv's points model)
  uint32_t max_ban_score = 80;  // 0 = off
  uint32_t ban_time = 300;
  uint32_t ban_reset_time = 1200;
  uint32_t ban_points_wrong_password = 10;
  uint32_t ban_points_connection = 1;
  // control socket (sslvpnctl)
  bool use_occtl = true;
  std::optional<int> log_level;         // ocserv's scale (0-9); -d on the command line wins
  bool client_bypass_protocol = false;  // X-CSTP-Client-Bypass-Protocol
  bool listen_host_is_dyndns = false;   // X-CSTP-DynDNS: clients resolve the name again to reconnect
  // ocserv's select-group-by-url (implied by cisco-client-compat = true, as in ocserv 1.3+): a
  // login posted to https://server/GROUP asks for that group, and its form offers only it.
  bool select_group_by_url = false;
  bool cisco_client_compat = false;
  bool group_by_url() const noexcept { return select_group_by_url || cisco_client_compat; }
  bool auto_select_group = false;  // the group list is the password method's groups (main/auto_groups.hpp)
  std::string listen_netns;        // a network namespace name (ip netns) for the client-facing sockets
  uint32_t rate_limit_ms = 0;      // at least this long between two accepted connections
  uint32_t sec_mod_scale = 0;      // sec-mod's signing/hashing threads; 0 = one per CPU
  uint32_t max_logins_in_progress = 0;        // logins main lets run at once; 0 = 16 per CPU
  uint32_t login_queue_timeout = 10;          // seconds a connection may wait for a login slot
  uint32_t server_drain_ms = 0;               // on SIGTERM: close the ports, keep tunnels this long
  uint32_t server_stats_reset_time = 604800;  // seconds between resets of show status's totals
  bool use_utmp = true;  // tunnels are logins in utmp and wtmp (ocserv's default), main/os/utmp_log.hpp
  std::string occtl_socket_file = "/run/sslvpnd/sslvpnd.socket";
  // DTLS (the UDP data channel)
  uint16_t udp_port = 0;                // 0 = no DTLS
  std::string udp_listen_host;          // empty = like listen-host
  bool dtls_psk = true;                 // openconnect's PSK-NEGOTIATE mode
  bool dtls_legacy = true;              // Cisco's resumed-session mode (AnyConnect, old openconnect)
  bool match_tls_dtls_ciphers = false;  // PSK mode: DTLS uses the TLS session's cipher only
  uint32_t switch_to_tcp_timeout = 0;   // seconds of DTLS silence before sending over CSTP; 0 = 3 x dpd
  // GlobalProtect (worker/gp): portal and gateway on the TLS port, ESP on its own UDP port
  bool globalprotect = true;
  bool gp_portal = true;                        // false: gateway only (the portal "does not exist")
  uint16_t gp_esp_port = 0;                     // 0 = no ESP: the HTTPS tunnel carries everything
  std::vector<std::string> gp_portal_gateways;  // "host[:port]"; empty = this server
  bool gp_hip_report = false;                   // ask clients for a HIP report
  std::string gp_portal_name;                   // the portal's name in its configuration
  // OpenVPN (worker/openvpn; common/config_openvpn.cpp): its own ports, absent = off
  uint16_t openvpn_udp_port = 0;
  uint16_t openvpn_tcp_port = 0;
  std::string openvpn_tls_crypt;     // openvpn's static-key file (openvpn --genkey secret)
  std::string openvpn_tls_auth;      // the same format, for tls-auth
  std::string openvpn_tls_crypt_v2;  // the tls-crypt-v2 server key (openvpn's PEM)
  // UDP tls-crypt-v2 clients that cannot return the cookie with their key (openvpn 2.5 and
  // older) are dropped (true), or start a worker from a fresh, unreplayed reset (false).
  bool openvpn_tls_crypt_v2_force_cookie = true;
  std::string openvpn_auth = "SHA1";    // tls-auth's HMAC digest (openvpn's --auth): SHA1, SHA256, SHA512
  int openvpn_tls_auth_direction = -1;  // the server's key-direction: -1 none (both use key 0), 0, 1
  std::string openvpn_data_ciphers = "AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305";
  uint32_t openvpn_reneg_sec = 3600;
  // openvpn --genkey auth-token FILE: servers that share it accept each other's login tokens
  // (worker/openvpn/auth_token.hpp), good for openvpn-auth-token-lifetime after the login.
  std::string openvpn_auth_token_secret;
  uint32_t openvpn_auth_token_lifetime = 43200;
  // openvpn's client-config-dir: a file named after the user (else DEFAULT) in openvpn's syntax
  // (ifconfig-push, iroute, push "route ...", push "dhcp-option ...", push-reset, disable),
  // read when a session starts, for every protocol; with openvpn-ccd-exclusive a user without
  // a file gets no tunnel (openvpn's ccd-exclusive).
  std::string openvpn_client_config_dir;
  bool openvpn_ccd_exclusive = false;
  // openvpn's --status FILE [SECONDS] and --status-version: every session (of every protocol)
  // in openvpn's status file format, rewritten every interval (main/openvpn_status.hpp).
  std::string openvpn_status_file;
  uint32_t openvpn_status_interval = 60;
  int openvpn_status_version = 1;
  // openvpn's --management: "IP PORT" or "PATH unix" (main/openvpn_mgmt.hpp), and the file whose
  // first line is its password ("": none asked for).
  std::string openvpn_management;
  std::string openvpn_management_password_file;
  bool openvpn() const { return openvpn_udp_port != 0 || openvpn_tcp_port != 0; }
  // Cisco NVM's IPFIX collector (worker/nvm; common/config_nvm.cpp): absent port = off
  uint16_t nvm_collector_port = 0;
  bool nvm_dtls = false;
  std::string nvm_dtls_ca;  // mutual DTLS: the CA of exporters' certificates
  std::string nvm_store = "sqlite:/var/lib/sslvpnd/flows.db";  // or postgresql:CONNINFO
  uint32_t nvm_retention_days = 30;                            // 0: kept until the size limit
  uint64_t nvm_retention_mb = 0;                               // 0: no size limit
  bool nvm_anonymize_users = false;
  int32_t nvm_truncate_args = -1;  // -1 keeps command lines, 0 drops them
  bool nvm_drop_private_destinations = false;
  bool nvm_store_unattributed = true;
  bool nvm_store_dst_index = true;   // SQLite: an index on dst (a third of each insert's cost)
  std::vector<IpNet> nvm_exporters;  // who may send (empty: anyone)
  std::string nvm_gateway_name;      // names this gateway's rows in a store several share (empty: host name)

  // The password file of the plain[] method, or empty.
  std::string plain_passwd_file() const;
  // 0: no chain uses a certificate; 1: some do; 2: every chain needs one.
  uint32_t cert_login_mode() const;
};

struct ConfigWarning {
  int line;
  std::string text;
};

// Whether the main file's parser handles `key` (its canonical name) itself.
bool parser_knows_key(std::string_view key);

// Parses the text of a configuration file. `origin` names it in error messages.
// Unknown keys throw ConfigError naming the key and line; ocserv keys that sslvpnd does not
// implement yet are accepted with a warning.
Config parse_config(std::string_view text, std::string_view origin, std::vector<ConfigWarning>* warnings);

// Reads and parses a file (startup only).
Config load_config_file(const std::string& path, std::vector<ConfigWarning>* warnings, std::string* text_out);

// Parses "name[k=v,k2=v2]" (or the old "plain[/path]" form).
AuthMethod parse_auth_method(std::string_view spec);

}  // namespace sslvpn
