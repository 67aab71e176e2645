// sslvpnd-ovpn-key import: the network side of an openvpn server (ports, pool, control-channel
// keys, data ciphers, pushes, timers).
#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/text.hpp"
#include "tools/ovpn-key/import_handlers.hpp"

namespace sslvpn::ovpnkey {

bool import_number(const std::string& s, unsigned long max, unsigned long* v) {
  if (s.empty() || s.size() > 10) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && *v <= max;
}

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char x) { return std::toupper(x); });
  return s;
}

// A setting whose one value is a number from `min` to `max`, under `key`.
Handler numeric(const char* key, unsigned long min, unsigned long max) {
  return [key, min, max](ImportState& s, const Words& w, const Src& src) {
    unsigned long v = 0;
    if (w.size() < 2 || !import_number(w[1], max, &v) || v < min)
      return s.warn(src, "not a number from " + std::to_string(min) + " to " + std::to_string(max) +
                             " (what sslvpnd takes); not carried over");
    s.set(key, std::to_string(v), src);
  };
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

void port(ImportState& s, const Words& w, const Src& src) {
  unsigned long p = 0;
  if (w.size() < 2 || !import_number(w[1], 65535, &p) || p == 0) return s.fatal(src, "not a port number");
  s.port = {static_cast<uint16_t>(p), src};
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

// mode server with ifconfig / ifconfig-ipv6: the server's own address and netmask (or prefix)
// name its network, as `server` and `server-ipv6` would.
void ifconfig(ImportState& s, const Words& w, const Src& src) {
  if (w[0] == "ifconfig-ipv6") {
    auto net = w.size() >= 2 ? parse_ip_net(w[1]) : std::nullopt;
    if (net && !net->addr.is_v4() && !s.net6.src.line) s.net6 = {*net, src};
    return;
  }
  auto net = w.size() >= 3 ? parse_ip_net(w[1] + "/" + w[2]) : std::nullopt;
  if (!net || !net->addr.is_v4() || s.net4.src.line) return;
  s.net4 = {*net, src};
  auto own = parse_ip(w[1]);
  IpAddr first = net->addr;
  first.b[3] = static_cast<uint8_t>(first.b[3] + 1);
  if (own && !(*own == first))
    s.warn(src, "sslvpnd's own address is the network's first (" + first.to_string() + "), not " + w[1] +
                    ": that one may be leased to a client");
}

void tls_auth(ImportState& s, const Words& w, const Src& src) {
  if (w.size() < 2) return s.warn(src, "no file named; not carried over");
  s.tls_auth = {w[1], src};
  if (w.size() > 2) s.key_direction = w[2];
}

void tls_crypt_v2(ImportState& s, const Words& w, const Src& src) {
  if (w.size() < 2) return s.warn(src, "no file named; not carried over");
  s.set_path("openvpn-tls-crypt-v2", w[1], src, ImportState::PathKind::Base);
  // openvpn's default (allow-noncookie) serves 2.5 clients over UDP; sslvpnd's drops them.
  if (w.size() < 3 || w[2] != "force-cookie")
    s.set("openvpn-tls-crypt-v2-force-cookie", "false", src,
          "as openvpn's default (allow-noncookie): openvpn 2.5 clients are served over UDP too");
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
    std::string u = upper(c);
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
  std::string u = upper(w.size() > 1 ? w[1] : "");
  if (u.ends_with("-GCM") || u == "CHACHA20-POLY1305")
    return s.note(src, "negotiated (openvpn-data-ciphers)");
  s.warn(src, "clients that cannot negotiate a cipher (openvpn 2.3, or 2.4 with ncp-disable) and use '" +
                  (w.size() > 1 ? w[1] : std::string()) +
                  "' are not served: sslvpnd's data channel is AEAD only");
}

void keepalive(ImportState& s, const Words& w, const Src& src) {
  unsigned long ping = 0, restart = 0;
  if (w.size() < 3 || !import_number(w[1], 86400, &ping) || !import_number(w[2], 86400, &restart))
    return s.warn(src, "not two numbers; not carried over");
  s.set("dpd", std::to_string(restart), src,
        "clients are pushed ping-restart " + std::to_string(restart) + " (at least 30) and ping 10" +
            (ping != 10 ? " (not " + std::to_string(ping) + ")" : std::string()) +
            "; the server drops a client silent for twice that, as openvpn does");
}

void inactive(ImportState& s, const Words& w, const Src& src) {
  unsigned long secs = 0;
  if (w.size() < 2 || !import_number(w[1], 86400u * 365, &secs))
    return s.warn(src, "not a number; not carried over");
  s.set("idle-timeout", std::to_string(secs), src);
  if (w.size() > 2) s.warn(src, "its byte count is not carried over: idle-timeout counts time alone");
}

void status(ImportState& s, const Words& w, const Src& src) {
  unsigned long every = 60;
  if (w.size() < 2 || (w.size() > 2 && (!import_number(w[2], 86400, &every) || every == 0)))
    return s.warn(src, "not a file and an interval; not carried over");
  s.set_path("openvpn-status", w[1], src, ImportState::PathKind::Base,
             "the same format, every session of every protocol; under the packaged systemd unit a directory "
             "other than /var/log/openvpn needs ReadWritePaths=",
             " " + std::to_string(every));
}

void x509_username(ImportState& s, const Words& w, const Src& src) {
  static const std::map<std::string, std::string> oids = {{"CN", "2.5.4.3"},
                                                          {"UID", "0.9.2342.19200300.100.1.1"},
                                                          {"OU", "2.5.4.11"},
                                                          {"EMAILADDRESS", "1.2.840.113549.1.9.1"},
                                                          {"EXT:SUBJECTALTNAME", "SAN(rfc822name)"}};
  if (w.size() > 2)
    s.warn(src, "openvpn joins several fields with '_'; sslvpnd takes the user from one: the first");
  std::string f = w.size() > 1 ? w[1] : "";
  if (f.starts_with("subject:")) f.erase(0, 8);
  auto it = oids.find(upper(f));
  if (it == oids.end()) return s.warn(src, "a field sslvpnd cannot take the user from; the CN is used");
  s.set("cert-user-oid", it->second, src);
}

void tls_min(ImportState& s, const Words& w, const Src& src) {
  if (w.size() > 1 && w[1] == "1.3")
    return s.set("tls-priorities", "NORMAL:%SERVER_PRECEDENCE:-VERS-ALL:+VERS-TLS1.3", src);
  s.note(src, "sslvpnd takes TLS 1.2 and 1.3");
}

}  // namespace

void add_network_handlers(HandlerTable& h) {
  using K = ImportState::PathKind;
  auto file = [](const char* key, K kind) {
    return [key, kind](ImportState& s, const Words& w, const Src& src) {
      if (w.size() < 2) return s.warn(src, "no file named; not carried over");
      s.set_path(key, w[1], src, kind);
    };
  };
  h.insert({{"port", port},
            {"lport", port},
            {"proto", proto},
            {"dev", dev},
            {"dev-type", dev},
            {"server", server4},
            {"server-ipv6", server6},
            {"ifconfig", ifconfig},
            {"ifconfig-ipv6", ifconfig},
            {"ca", file("ca-cert", K::Base)},
            {"cert", file("server-cert", K::Base)},
            {"key", file("server-key", K::Base)},
            {"tls-crypt", file("openvpn-tls-crypt", K::Base)},
            {"tls-crypt-v2", tls_crypt_v2},
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
            {"reneg-sec", numeric("openvpn-reneg-sec", 0, 86400u * 365)},
            {"keepalive", keepalive},
            {"inactive", inactive},
            {"tun-mtu", numeric("mtu", 576, 9000)},
            {"max-clients", numeric("max-clients", 0, 1u << 24)},
            {"push",
             [](ImportState& s, const Words& w, const Src& src) {
               if (w.size() != 2) return s.warn(src, "not one quoted option; not carried over");
               s.push(w[1], src);
             }},
            {"status", status},
            {"status-version", numeric("openvpn-status-version", 1, 3)},
            {"x509-username-field", x509_username},
            {"auth-gen-token-secret", file("openvpn-auth-token-secret", K::Base)},
            {"local",
             [](ImportState& s, const Words& w, const Src& src) {
               if (w.size() > 1) s.set("listen-host", w[1], src);
             }},
            {"tls-version-min", tls_min},
            {"topology", [](ImportState& s, const Words& w, const Src& src) {
               if (w.size() > 1 && w[1] != "subnet")
                 s.warn(src, "sslvpnd pushes 'topology subnet', which openvpn 2.x clients follow");
             }}});
}

}  // namespace sslvpn::ovpnkey
