// sslvpnd-ovpn-key import: each openvpn server directive, read into what sslvpnd.conf says
// (import_out.cpp writes it out). One handler per directive, found in a table.
#include "tools/ovpn-key/import.hpp"

#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>

#include "common/secret_bytes.hpp"
#include "common/text.hpp"
#include "tools/ovpn-key/import_state.hpp"
#include "tools/ovpn-key/key_files.hpp"
#include "tools/ovpn-key/openvpn_conf.hpp"

namespace sslvpn::ovpnkey {
namespace {

using Words = std::vector<std::string>;
using Handler = std::function<void(ImportState&, const Words&, const Src&)>;

bool number(const std::string& s, unsigned long max, unsigned long* v) {
  if (s.empty() || s.size() > 10 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  *v = std::stoul(s);
  return *v <= max;
}

// A setting whose one value is a number of at most `max`, under `key`.
Handler numeric(const char* key, unsigned long max) {
  return [key, max](ImportState& s, const Words& w, const Src& src) {
    unsigned long v = 0;
    if (w.size() < 2 || !number(w[1], max, &v)) return s.warn(src, "not a number; not carried over");
    s.set(key, std::to_string(v), src);
  };
}
// A setting whose value is a file openvpn resolved from its directory.
Handler file(const char* key) {
  return [key](ImportState& s, const Words& w, const Src& src) {
    if (w.size() < 2) return s.warn(src, "no file named; not carried over");
    s.set(key, s.path(w[1]), src);
  };
}
// What sslvpnd does of itself, or has no use for: said in the output, not warned about.
Handler noted(const char* why) {
  return [why](ImportState& s, const Words&, const Src& src) { s.note(src, why); };
}
Handler warned(const char* why) {
  return [why](ImportState& s, const Words&, const Src& src) { s.warn(src, why); };
}

void proto(ImportState& s, const Words& w, const Src& src) {
  if (w.size() < 2) return;
  std::string p = lowercase(w[1]);
  if (p == "udp" || p == "udp4" || p == "udp6") {
    s.tcp = false;
  } else if (p.starts_with("tcp")) {
    s.tcp = true;
  } else {
    return s.warn(src, "an unknown protocol; UDP is kept");
  }
  s.proto_src = src;
}

void dev(ImportState& s, const Words& w, const Src& src) {
  if (w.size() >= 2 && (w[0] == "dev-type" ? w[1] == "tap" : w[1].starts_with("tap")))
    s.fatal(src, "a TAP (Ethernet) server: sslvpnd's tunnels carry IP (dev tun)");
}

void server4(ImportState& s, const Words& w, const Src& src) {
  auto net = w.size() >= 3 ? parse_ip_net(w[1] + "/" + w[2]) : std::nullopt;
  if (!net || !net->addr.is_v4()) return s.fatal(src, "not a network and netmask");
  s.net4 = {*net, src};
  if (w.size() > 3 && w[3] == "nopool")
    s.warn(src,
           "'nopool': sslvpnd leases addresses from the whole network; fixed ones come from "
           "client-config-dir's ifconfig-push");
}

void server6(ImportState& s, const Words& w, const Src& src) {
  auto net = w.size() >= 2 ? parse_ip_net(w[1]) : std::nullopt;
  if (!net || net->addr.is_v4()) return s.warn(src, "not an IPv6 network; not carried over");
  s.net6 = {*net, src};
}

// mode server with ifconfig: the server's own address and netmask name its network.
void ifconfig(ImportState& s, const Words& w, const Src& src) {
  auto net = w.size() >= 3 ? parse_ip_net(w[1] + "/" + w[2]) : std::nullopt;
  if (net && net->addr.is_v4() && !s.net4.src.line) s.net4 = {*net, src};
}

void tls_auth(ImportState& s, const Words& w, const Src& src) {
  if (w.size() < 2) return s.warn(src, "no file named; not carried over");
  s.tls_auth = {s.path(w[1]), src};
  if (w.size() > 2) s.key_direction = w[2];
}

void ciphers(ImportState& s, const Words& w, const Src& src) {
  if (w.size() < 2) return;
  std::string kept;
  size_t at = 0;
  std::string list = w[1] + ":";
  while (at < list.size()) {
    size_t colon = list.find(':', at);
    std::string c = list.substr(at, colon - at);
    at = colon + 1;
    if (c.starts_with("?")) c.erase(0, 1);  // openvpn 2.6: a cipher the library may lack
    std::string u = c;
    std::transform(u.begin(), u.end(), u.begin(), [](unsigned char x) { return std::toupper(x); });
    if (u == "AES-256-GCM" || u == "AES-128-GCM" || u == "CHACHA20-POLY1305")
      kept += (kept.empty() ? "" : ":") + u;
    else if (!c.empty())
      s.warn(src, "'" + c +
                      "' is not offered: sslvpnd's data channel is AEAD only "
                      "(AES-256-GCM, AES-128-GCM, CHACHA20-POLY1305)");
  }
  if (kept.empty()) return s.warn(src, "no cipher sslvpnd offers is left; its default list is used");
  s.set("openvpn-data-ciphers", kept, src);
}

void cipher(ImportState& s, const Words& w, const Src& src) {
  std::string u = w.size() > 1 ? w[1] : "";
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char x) { return std::toupper(x); });
  if (u.ends_with("-GCM") || u == "CHACHA20-POLY1305")
    return s.note(src, "negotiated (openvpn-data-ciphers)");
  s.warn(src, "clients that cannot negotiate a cipher (openvpn 2.3, or 2.4 with ncp-disable) and use '" +
                  (w.size() > 1 ? w[1] : std::string()) +
                  "' are not served: sslvpnd's data channel is AEAD only");
}

void keepalive(ImportState& s, const Words& w, const Src& src) {
  unsigned long ping = 0, restart = 0;
  if (w.size() < 3 || !number(w[1], 86400, &ping) || !number(w[2], 86400, &restart))
    return s.warn(src, "not two numbers; not carried over");
  s.set("dpd", std::to_string(restart), src,
        "clients are pushed ping-restart " + std::to_string(restart) +
            " (at least 30); the server drops a "
            "client silent for twice that, as openvpn does");
}

void plugin(ImportState& s, const Words& w, const Src& src) {
  std::string name = w.size() > 1 ? lowercase(w[1]) : "";
  if (name.find("auth-pam") != std::string::npos) {
    std::string service = w.size() > 2 && w[2].find_first_of(" =[],\"") == std::string::npos ? w[2] : "";
    if (service.empty()) service = "openvpn";
    return s.set_password("pam[service=" + service + "]", src, "");
  }
  if (name.find("auth") != std::string::npos || name.find("ldap") != std::string::npos ||
      name.find("radius") != std::string::npos)
    return s.set_password("", src, "a login plugin sslvpnd cannot load");
  s.warn(src, "a plugin sslvpnd cannot load; not carried over");
}

void verify_client_cert(ImportState& s, const Words& w, const Src& src) {
  std::string m = w.size() > 1 ? w[1] : "require";
  if (m != "none" && m != "optional" && m != "require")
    return s.warn(src, "an unknown mode; 'require' is kept");
  s.cert_mode = w[0] == "client-cert-not-required" ? "none" : m;
  s.cert_src = src;
}

void username_field(ImportState& s, const Words& w, const Src& src) {
  static const std::map<std::string, std::string> oids = {{"CN", "2.5.4.3"},
                                                          {"UID", "0.9.2342.19200300.100.1.1"},
                                                          {"OU", "2.5.4.11"},
                                                          {"emailAddress", "1.2.840.113549.1.9.1"},
                                                          {"ext:subjectAltName", "SAN(rfc822name)"}};
  std::string f = w.size() > 1 ? w.back() : "";
  if (f.starts_with("subject:")) f.erase(0, 8);
  auto it = oids.find(f);
  if (it == oids.end()) return s.warn(src, "a field sslvpnd cannot take the user from; the CN is used");
  s.set("cert-user-oid", it->second, src);
}

void token(ImportState& s, const Words& w, const Src& src) {
  unsigned long life = 0;
  if (w.size() > 1 && number(w[1], 10u * 365 * 86400, &life) && life > 0)
    return s.set("openvpn-auth-token-lifetime", std::to_string(life), src);
  s.note(src, "sslvpnd always issues auth-tokens (the session's cookie)");
}

void tls_min(ImportState& s, const Words& w, const Src& src) {
  std::string v = w.size() > 1 ? w[1] : "";
  if (v == "1.3") return s.set("tls-priorities", "NORMAL:%SERVER_PRECEDENCE:-VERS-ALL:+VERS-TLS1.3", src);
  s.note(src, "sslvpnd takes TLS 1.2 and 1.3");
}

void script(ImportState& s, const Words& w, const Src& src) {
  if (w.size() != 2 || w[1].find(' ') != std::string::npos)
    return s.warn(src, "a command with arguments: sslvpnd runs a script path alone; not carried over");
  s.set(w[0] == "client-connect" ? "connect-script" : "disconnect-script", s.path(w[1]), src,
        "run with openvpn's variables and, for client-connect, the file to write in its first argument");
}

void local(ImportState& s, const Words& w, const Src& src) {
  if (w.size() > 1) s.set("listen-host", w[1], src);
}

void inline_file(ImportState& s, const OpenvpnDirective& d);

const std::map<std::string, Handler>& handlers() {
  static const std::map<std::string, Handler> h = {
      {"proto", proto},
      {"dev", dev},
      {"dev-type", dev},
      {"server", server4},
      {"server-ipv6", server6},
      {"ifconfig", ifconfig},
      {"server-bridge",
       [](ImportState& s, const Words&, const Src& src) {
         s.fatal(src, "a bridged (TAP) server: sslvpnd's tunnels carry IP");
       }},
      {"pkcs12",
       [](ImportState& s, const Words&, const Src& src) {
         s.fatal(src,
                 "a PKCS#12 file: split it into cert and key PEM files (openssl pkcs12 -nokeys / -nocerts "
                 "-nodes), name them with cert and key, and import again");
       }},
      {"ca", file("ca-cert")},
      {"cert", file("server-cert")},
      {"key", file("server-key")},
      {"crl-verify",
       [](ImportState& s, const Words& w, const Src& src) {
         if (w.size() > 2 && w[2] == "dir")
           return s.warn(src, "a directory of revoked serials; sslvpnd reads a CRL file");
         if (w.size() > 1) s.set("crl", s.path(w[1]), src);
       }},
      {"tls-crypt", file("openvpn-tls-crypt")},
      {"tls-crypt-v2", file("openvpn-tls-crypt-v2")},
      {"tls-auth", tls_auth},
      {"key-direction",
       [](ImportState& s, const Words& w, const Src&) {
         if (w.size() > 1) s.key_direction = w[1];
       }},
      {"auth",
       [](ImportState& s, const Words& w, const Src& src) {
         if (w.size() > 1) s.auth_digest = {w[1], src};
       }},
      {"data-ciphers", ciphers},
      {"ncp-ciphers", ciphers},
      {"cipher", cipher},
      {"data-ciphers-fallback", cipher},
      {"reneg-sec", numeric("openvpn-reneg-sec", 86400u * 365)},
      {"keepalive", keepalive},
      {"inactive", numeric("idle-timeout", 86400u * 365)},
      {"tun-mtu", numeric("mtu", 65535)},
      {"max-clients", numeric("max-clients", 1u << 24)},
      {"duplicate-cn",
       [](ImportState& s, const Words&, const Src& src) { s.set("max-same-clients", "0", src); }},
      {"push", [](ImportState& s, const Words& w, const Src& src) { s.push(w, src); }},
      {"dns", [](ImportState& s, const Words& w, const Src& src) { s.dns(w, src); }},
      {"client-config-dir", file("openvpn-client-config-dir")},
      {"ccd-exclusive",
       [](ImportState& s, const Words&, const Src& src) { s.set("openvpn-ccd-exclusive", "true", src); }},
      {"client-connect", script},
      {"client-disconnect", script},
      {"plugin", plugin},
      {"auth-user-pass-verify",
       [](ImportState& s, const Words&, const Src& src) {
         s.set_password("", src, "a login script sslvpnd does not run");
       }},
      {"verify-client-cert", verify_client_cert},
      {"client-cert-not-required", verify_client_cert},
      {"x509-username-field", username_field},
      {"auth-gen-token", token},
      {"auth-gen-token-secret", file("openvpn-auth-token-secret")},
      {"local", local},
      {"tls-version-min", tls_min},
      {"topology",
       [](ImportState& s, const Words& w, const Src& src) {
         if (w.size() > 1 && w[1] != "subnet")
           s.warn(src, "sslvpnd pushes 'topology subnet', which openvpn 2.x clients follow");
       }},
      {"username-as-common-name",
       noted("password logins take the login name (client-config-dir files are named by it)")},
      {"remote-cert-tls", noted("sslvpnd checks client certificates for the TLS client purpose")},
      {"route", noted("sslvpnd routes each client's iroutes to that client's own device when it connects")},
      {"route-ipv6",
       noted("sslvpnd routes each client's iroutes to that client's own device when it connects")},
      {"user", noted("workers run as sslvpnd's own account (run-as-user), in a seccomp sandbox")},
      {"group", noted("workers run as sslvpnd's own account (run-as-user), in a seccomp sandbox")},
      {"chroot", noted("workers run as sslvpnd's own account (run-as-user), in a seccomp sandbox")},
      {"management", noted("sslvpnctl shows and ends sessions")},
      {"status", noted("sslvpnctl show users")},
      {"status-version", noted("sslvpnctl show users")},
      {"ifconfig-pool-persist", noted("sslvpnd keeps no lease file; a reconnect with the session's token "
                                      "gets its address back")},
      {"client-to-client",
       noted("clients reach each other through the kernel's routing (each has its own device); allow it "
             "with IP forwarding and the firewall")},
      {"comp-lzo", noted("sslvpnd never compresses; clients configured with compression are pushed "
                         "stub framing, as openvpn 2.6 does")},
      {"compress", noted("sslvpnd never compresses; clients configured with compression are pushed "
                         "stub framing, as openvpn 2.6 does")},
      {"explicit-exit-notify", noted("sslvpnd tells clients to reconnect (RESTART) when it stops")},
      {"tls-verify", warned("a certificate check script sslvpnd does not run (it checks ca-cert, crl and "
                            "the TLS client purpose)")},
      {"tls-crypt-v2-verify", warned("a client key check script sslvpnd does not run")},
      {"learn-address", warned("a script sslvpnd does not run (connect-script and disconnect-script see each "
                               "client's address)")},
      {"up", warned("a script sslvpnd does not run")},
      {"down", warned("a script sslvpnd does not run")},
      {"tls-version-max", warned("sslvpnd takes TLS 1.2 and 1.3 (tls-priorities)")},
      {"tls-cipher", warned("sslvpnd's TLS ciphers come from tls-priorities (GnuTLS)")},
      {"tls-ciphersuites", warned("sslvpnd's TLS ciphers come from tls-priorities (GnuTLS)")},
      {"tls-groups", warned("sslvpnd's TLS groups come from tls-priorities (GnuTLS)")},
      {"port-share", warned("sslvpnd does not pass other connections on (camouflage answers them as a web "
                            "server)")},
  };
  return h;
}

// Directives that change nothing sslvpnd does: openvpn's own housekeeping.
bool housekeeping(const std::string& name) {
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
                                       "lport",
                                       "ifconfig-pool",
                                       "ifconfig-ipv6",
                                       "ifconfig-ipv6-pool",
                                       "route-gateway",
                                       "setenv",
                                       "auth-nocache",
                                       "ping-timer-rem",
                                       "dev-node",
                                       "tls-export-cert",
                                       "suppress-timestamps",
                                       "machine-readable-output",
                                       "cd"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* n) { return name == n; });
}

void inline_file(ImportState& s, const OpenvpnDirective& d) {
  static const std::map<std::string, std::string> kinds = {{"ca", "ca.pem"},
                                                           {"cert", "cert.pem"},
                                                           {"key", "key.pem"},
                                                           {"tls-crypt", "tls-crypt.key"},
                                                           {"tls-auth", "tls-auth.key"},
                                                           {"tls-crypt-v2", "tls-crypt-v2.key"},
                                                           {"crl-verify", "crl.pem"},
                                                           {"auth-gen-token-secret", "auth-token.key"}};
  const std::string& tag = d.words[0];
  Src src{d.line, "<" + tag + ">"};
  if (tag == "dh") return s.note(src, "not needed: sslvpnd's key exchange is ECDHE");
  auto it = kinds.find(tag);
  if (it == kinds.end()) return s.warn(src, "an inline file sslvpnd has no use for; not carried over");
  std::string path = s.inline_path(it->second, d.inline_text, src);
  if (path.empty()) return;
  Words w = {tag, path};
  handlers().at(tag)(s, w, src);
}

}  // namespace

Result<ImportResult> import_openvpn_server(std::string_view text, const ImportArgs& a, std::string* error) {
  auto directives = parse_openvpn_conf(text, error);
  if (!directives.ok()) return directives.error();
  ImportState s(a);
  for (const auto& d : *directives) {
    Src src{d.line, d.raw};
    if (d.is_inline) {
      inline_file(s, d);
    } else if (d.words[0] == "cd" && d.words.size() > 1) {
      s.base_dir = s.path(d.words[1]);
    } else if (d.words[0] == "port" || d.words[0] == "lport") {
      unsigned long p = 0;
      if (d.words.size() < 2 || !number(d.words[1], 65535, &p) || p == 0)
        s.fatal(src, "not a port number");
      else
        s.port = {static_cast<uint16_t>(p), src};
    } else if (auto it = handlers().find(d.words[0]); it != handlers().end()) {
      it->second(s, d.words, src);
    } else if (!housekeeping(d.words[0])) {
      s.warn(src, "not carried over");
    }
    if (!s.error.empty()) break;
  }
  return s.finish(error);
}

namespace {

int import_fail(const std::string& why) {
  std::fprintf(stderr, "sslvpnd-ovpn-key import: %s\n", why.c_str());
  return 1;
}

// The directory openvpn resolved relative paths from: its --cd, on Debian the file's own.
std::string directory_of(const std::string& file) {
  std::string dir = file.find('/') == std::string::npos ? "." : file.substr(0, file.rfind('/'));
  if (dir.empty()) dir = "/";
  char real[PATH_MAX];
  return ::realpath(dir.c_str(), real) ? std::string(real) : dir;
}

}  // namespace

int run_import(const std::vector<std::string>& a) {
  ImportArgs args;
  std::string cd;
  for (size_t i = 1; i < a.size(); ++i) {
    bool value = i + 1 < a.size();
    if ((a[i] == "-o" || a[i] == "--output") && value) {
      args.out = a[++i];
    } else if (a[i] == "--cd" && value) {
      cd = a[++i];
    } else if (args.source.empty() && !a[i].starts_with("-")) {
      args.source = a[i];
    } else {
      return import_fail("usage: sslvpnd-ovpn-key import [--cd DIR] [-o OUT.conf] SERVER.conf");
    }
  }
  if (args.source.empty())
    return import_fail("usage: sslvpnd-ovpn-key import [--cd DIR] [-o OUT.conf] SERVER.conf");
  auto text = read_regular_file(args.source, kMaxOpenvpnConf);
  if (!text) return import_fail("cannot read '" + args.source + "'");
  args.base_dir = cd.empty() ? directory_of(args.source) : cd;
  std::string error;
  auto r = import_openvpn_server(*text, args, &error);
  if (!r.ok()) return import_fail(args.source + ": " + error);
  for (const auto& w : r->warnings)
    std::fprintf(stderr, "sslvpnd-ovpn-key import: not carried over: %s\n", w.c_str());
  bool written = true;
  for (auto& f : r->files) {
    written = written && write_new(f.path, f.text);
    wipe_string(f.text);  // a <key> or <tls-crypt> block
  }
  if (!written) return 1;
  if (args.out.empty()) {
    std::fwrite(r->config.data(), 1, r->config.size(), stdout);
    return 0;
  }
  if (!write_new(args.out, r->config)) return 1;
  std::string left = r->warnings.empty() ? ""
                                         : " (" + std::to_string(r->warnings.size()) +
                                               " setting(s) left out, listed at its end)";
  std::fprintf(stderr, "sslvpnd-ovpn-key import: wrote %s%s; check it with sslvpnd -t -c %s\n",
               args.out.c_str(), left.c_str(), args.out.c_str());
  return 0;
}

}  // namespace sslvpn::ovpnkey
