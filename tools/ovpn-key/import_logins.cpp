// sslvpnd-ovpn-key import: who may log in and what runs for them (plugins, certificate checks,
// scripts), and the directives sslvpnd does of itself or has no use for.
#include <algorithm>
#include <cctype>

#include "common/text.hpp"
#include "tools/ovpn-key/import_handlers.hpp"

namespace sslvpn::ovpnkey {
namespace {

// What sslvpnd does of itself, or has no use for: said in the output, not warned about.
Handler noted(const char* why) {
  return [why](ImportState& s, const Words&, const Src& src) { s.note(src, why); };
}
Handler warned(const char* why) {
  return [why](ImportState& s, const Words&, const Src& src) { s.warn(src, why); };
}
// A check on clients sslvpnd does not make.
Handler weakened(const char* why) {
  return [why](ImportState& s, const Words&, const Src& src) { s.weaken(src, why); };
}

bool pam_service_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

void plugin(ImportState& s, const Words& w, const Src& line) {
  std::string name = w.size() > 1 ? lowercase(w[1]) : "";
  // Its arguments may hold secrets (a Duo key, an LDAP password): never repeated.
  Src src{line.line,
          "plugin " + (w.size() > 1 ? w[1] : std::string()) + (w.size() > 2 ? " [arguments]" : "")};
  if (name.find("auth-pam") != std::string::npos) {
    // Its arguments: the PAM service, then name/value pairs for the prompts, as words or as one
    // quoted word that openvpn splits again ("login login USERNAME password PASSWORD pin OTP").
    std::vector<std::string> args;
    for (size_t i = 2; i < w.size(); ++i) {
      std::vector<std::string> more;
      if (openvpn_words(w[i], more)) args.insert(args.end(), more.begin(), more.end());
    }
    if (args.empty() || !pam_service_name(args[0]))
      return s.fatal(src, "the PAM plugin names no PAM service (openvpn needs one)");
    s.set_password("pam[service=" + args[0] + "]", src, "");
    if (args.size() > 1)
      s.note(src,
             "PAM's questions are answered in order: the password first, then a static-challenge code "
             "or a dynamic challenge for each further one");
    return;
  }
  if (name.find("down-root") != std::string::npos)
    return s.note(src, "not needed: sslvpnd's main process keeps its privileges for the tunnels");
  // Any other plugin may check logins (LDAP, RADIUS, Duo, OTP...): a password is asked for.
  s.set_password("", src, "a plugin sslvpnd cannot load");
}

void verify_client_cert(ImportState& s, const Words& w, const Src& src) {
  std::string m = w.size() > 1 ? w[1] : "require";
  if (m != "none" && m != "optional" && m != "require")
    return s.warn(src, "an unknown mode; 'require' is kept");
  s.cert_mode = w[0] == "client-cert-not-required" ? "none" : m;
  s.cert_src = src;
}

void token(ImportState& s, const Words& w, const Src& src) {
  unsigned long life = 0;
  if (w.size() > 1 && import_number(w[1], 10u * 365 * 86400, &life) && life > 0)
    return s.set("openvpn-auth-token-lifetime", std::to_string(life), src);
  s.note(src, "sslvpnd always issues auth-tokens (the session's cookie)");
}

void script(ImportState& s, const Words& w, const Src& src) {
  if (w.size() != 2 || w[1].find_first_of(" \t") != std::string::npos)
    return s.weaken(src,
                    "a command with arguments: sslvpnd runs a script's path alone, so this one (which "
                    "may refuse clients) is not carried over");
  s.set_path(w[0] == "client-connect" ? "connect-script" : "disconnect-script", w[1], src,
             ImportState::PathKind::Chroot,
             "run with openvpn's variables and, for client-connect, the file to write in its first argument");
}

void crl(ImportState& s, const Words& w, const Src& src) {
  if (w.size() > 2 && w[2] == "dir")
    return s.weaken(src,
                    "a directory of revoked serials: sslvpnd reads a CRL file, so revoked "
                    "certificates would log in");
  if (w.size() > 1) s.set_path("crl", w[1], src, ImportState::PathKind::Chroot);
}

void remote_cert_eku(ImportState& s, const Words& w, const Src& src) {
  std::string e = w.size() > 1 ? w[1] : "";
  if (e == "TLS Web Client Authentication" || e == "clientAuth" || e == "1.3.6.1.5.5.7.3.2")
    return s.set("cert-require-client-purpose", "true", src,
                 "a certificate must name TLS client authentication (and, as with remote-cert-tls "
                 "client, carry a key usage)");
  s.weaken(src, "a required extended key usage sslvpnd does not check");
}

// remote-cert-tls client: a key usage and the TLS client EKU, which sslvpnd checks the same way.
void remote_cert_tls(ImportState& s, const Words& w, const Src& src) {
  if (w.size() > 1 && w[1] == "client")
    return s.set("cert-require-client-purpose", "true", src,
                 "a certificate must name TLS client authentication and carry a key usage");
  s.weaken(src, "clients' certificates required to be marked for a TLS server, which sslvpnd does not check");
}

// management IP PORT [PW-FILE] | PATH unix [PW-FILE]: the same interface, for monitoring and
// admin tools (main/openvpn_mgmt.hpp).
void management(ImportState& s, const Words& w, const Src& src) {
  if (w.size() < 3 || (w.size() > 3 && w[3] == "stdin"))
    return s.warn(src, "not 'IP PORT [PASSWORD-FILE]' or 'PATH unix [PASSWORD-FILE]'; not carried over");
  std::string where = w[2] == "unix" ? s.path(w[1]) + " unix" : w[1] + " " + w[2];
  bool loopback = w[1] == "localhost" || w[1].starts_with("127.") || w[1] == "::1";
  if (w[2] != "unix" && !loopback && w.size() < 4)
    return s.warn(src,
                  "a management interface on a network address without a password, which sslvpnd refuses "
                  "(whoever reaches it could list and end sessions): add 'openvpn-management = " +
                      where + " PASSWORD-FILE', or use 127.0.0.1");
  if (w.size() > 3) where += " " + s.path(w[3]);
  s.set("openvpn-management", where, src,
        "status, kill, client-kill, load-stats, state, version and hold, as openvpn answers them");
}

}  // namespace

void add_login_handlers(HandlerTable& h) {
  using K = ImportState::PathKind;
  h.insert(
      {{"server-bridge",
        [](ImportState& s, const Words&, const Src& src) {
          s.fatal(src, "a bridged (TAP) server: sslvpnd's tunnels carry IP");
        }},
       {"pkcs12",
        [](ImportState& s, const Words&, const Src& src) {
          s.fatal(src,
                  "a PKCS#12 file: split it into cert and key PEM files (openssl pkcs12 -nokeys / -nocerts "
                  "-nodes), name them with cert and key, and import again");
        }},
       {"crl-verify", crl},
       {"client-config-dir",
        [](ImportState& s, const Words& w, const Src& src) {
          if (w.size() > 1) s.set_path("openvpn-client-config-dir", w[1], src, K::Chroot);
        }},
       {"ccd-exclusive",
        [](ImportState& s, const Words&, const Src& src) { s.set("openvpn-ccd-exclusive", "true", src); }},
       {"duplicate-cn",
        [](ImportState& s, const Words&, const Src& src) { s.set("max-same-clients", "0", src); }},
       {"client-connect", script},
       {"client-disconnect", script},
       {"plugin", plugin},
       {"auth-user-pass-verify",
        [](ImportState& s, const Words&, const Src& src) {
          s.set_password("", src, "a login script sslvpnd does not run");
        }},
       {"management-client-auth",
        [](ImportState& s, const Words&, const Src& src) {
          s.set_password("", src,
                         "logins decided by a management client (management-client-auth), which sslvpnd does "
                         "not support");
        }},
       {"verify-client-cert", verify_client_cert},
       {"client-cert-not-required", verify_client_cert},
       {"auth-gen-token", token},
       {"chroot",
        [](ImportState& s, const Words& w, const Src& src) {
          if (w.size() > 1) s.chroot = w[1];
          s.note(src,
                 "workers run as sslvpnd's own account in a seccomp sandbox; the CRL, client-config-dir and "
                 "scripts are taken from inside the chroot, where openvpn read them");
        }},
       {"remote-cert-eku", remote_cert_eku},
       {"remote-cert-ku", weakened("a required key usage sslvpnd does not check")},
       {"verify-hash", weakened("a pinned CA (by its hash) sslvpnd does not check")},
       {"tls-crypt-v2-max-age", weakened("a maximum age of client keys sslvpnd does not check")},
       {"verify-x509-name", weakened("a required client certificate name sslvpnd does not check")},
       {"tls-verify", weakened("a certificate check script sslvpnd does not run (it checks ca-cert, crl and "
                               "the TLS client purpose)")},
       {"tls-crypt-v2-verify", weakened("a client key check script sslvpnd does not run")}});
}

// What sslvpnd does of itself, has no use for, or does not do: said, not mapped.
void add_noted_handlers(HandlerTable& h) {
  h.insert(
      {{"dns", noted("openvpn does not push its own --dns (push \"dns ...\" does); nothing to carry over")},
       {"username-as-common-name",
        [](ImportState& s, const Words&, const Src& src) {
          s.username_cn = true;
          s.note(src, "password logins take the login name (client-config-dir files are named by it)");
        }},
       {"remote-cert-tls", remote_cert_tls},
       {"route", noted("sslvpnd routes each client's iroutes to that client's own device when it connects")},
       {"route-ipv6",
        noted("sslvpnd routes each client's iroutes to that client's own device when it connects")},
       {"user", noted("workers run as sslvpnd's own account (run-as-user), in a seccomp sandbox")},
       {"group", noted("workers run as sslvpnd's own account (run-as-user), in a seccomp sandbox")},
       {"management", management},
       {"management-hold", noted("the server never holds; 'hold release' is answered with success")},
       {"capath",
        [](ImportState& s, const Words&, const Src& src) {
          s.fatal(
              src,
              "a directory of CA files (capath): give the CA as one file with 'ca FILE' and import again");
        }},
       {"peer-fingerprint",
        [](ImportState& s, const Words&, const Src& src) {
          s.fatal(src, "certificates checked by fingerprint: sslvpnd checks them against a CA ('ca FILE')");
        }},
       {"ifconfig-pool", warned("sslvpnd leases from the whole network: addresses this pool left out (for "
                                "ifconfig-push, or for others) may be leased")},
       {"ifconfig-ipv6-pool",
        warned("sslvpnd leases from the whole network: addresses this pool left out may be "
               "leased")},
       {"ifconfig-pool-persist", noted("not needed: a user gets the same address each time it is free "
                                       "(predictable-ips), without a lease file")},
       {"client-to-client",
        noted("clients reach each other through the kernel's routing (each has its own device); allow it "
              "with IP forwarding and the firewall")},
       {"comp-lzo", noted("sslvpnd never compresses; clients configured with compression are pushed "
                          "stub framing, as openvpn 2.6 does")},
       {"compress", noted("sslvpnd never compresses; clients configured with compression are pushed "
                          "stub framing, as openvpn 2.6 does")},
       {"explicit-exit-notify", noted("sslvpnd tells clients to reconnect (RESTART) when it stops")},
       {"learn-address",
        warned("a script sslvpnd does not run (connect-script and disconnect-script see each "
               "client's address)")},
       {"up", warned("a script sslvpnd does not run")},
       {"down", warned("a script sslvpnd does not run")},
       {"tls-version-max", warned("sslvpnd takes TLS 1.2 and 1.3 (tls-priorities)")},
       {"tls-cipher", warned("sslvpnd's TLS ciphers come from tls-priorities (GnuTLS)")},
       {"tls-ciphersuites", warned("sslvpnd's TLS ciphers come from tls-priorities (GnuTLS)")},
       {"tls-groups", warned("sslvpnd's TLS groups come from tls-priorities (GnuTLS)")},
       {"port-share", warned("sslvpnd does not pass other connections on (camouflage answers them as a web "
                             "server)")}});
}

bool import_housekeeping(const std::string& name) {
  static const char* const kNames[] = {"mode",
                                       "tls-server",
                                       "dh",
                                       "ecdh-curve",
                                       "persist-key",
                                       "persist-tun",
                                       "daemon",
                                       "writepid",
                                       "log",
                                       "log-append",
                                       "syslog",
                                       "verb",
                                       "mute",
                                       "mute-replay-warnings",
                                       "script-security",
                                       "fast-io",
                                       "sndbuf",
                                       "rcvbuf",
                                       "txqueuelen",
                                       "float",
                                       "multihome",
                                       "nice",
                                       "tun-ipv6",
                                       "push-peer-info",
                                       "disable-dco",
                                       "replay-window",
                                       "hand-window",
                                       "tran-window",
                                       "tls-timeout",
                                       "connect-freq",
                                       "max-routes-per-client",
                                       "tcp-queue-limit",
                                       "bcast-buffers",
                                       "allow-compression",
                                       "opt-verify",
                                       "route-gateway",
                                       "setenv",
                                       "auth-nocache",
                                       "ping-timer-rem",
                                       "dev-node",
                                       "tls-export-cert",
                                       "suppress-timestamps",
                                       "machine-readable-output",
                                       "cd",
                                       "config",
                                       "ignore-unknown-option",
                                       "passtos",
                                       "persist-remote-ip",
                                       "keysize",
                                       "ifconfig-pool-linear",
                                       "errors-to-stderr"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* n) { return name == n; });
}

}  // namespace sslvpn::ovpnkey
