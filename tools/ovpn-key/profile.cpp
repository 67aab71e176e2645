// sslvpnd-ovpn-key profile: a complete openvpn client profile (.ovpn) for this server, read from
// its configuration: a <connection> per OpenVPN port (UDP first, with explicit-exit-notify;
// then TCP), the CA inline, the control-channel key inline (a fresh client key of its own with
// tls-crypt-v2; the shared file with tls-crypt or tls-auth, with its key-direction and digest),
// the data ciphers, and what the logins need (auth-user-pass; static-challenge for a TOTP code;
// a note where a client certificate is asked for).
#include "tools/ovpn-key/profile.hpp"

#include <gnutls/x509.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "tools/ovpn-key/key_files.hpp"

namespace sslvpn::ovpnkey {
namespace {

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----";

std::vector<std::string> pem_certificates(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = text.find(kBegin, at)) != std::string::npos) {
    size_t end = text.find(kEnd, at);
    if (end == std::string::npos) break;
    out.push_back(text.substr(at, end + kEnd.size() - at));
    at = end + kEnd.size();
  }
  return out;
}

// Whether the certificate names TLS server authentication in its extended key usage, which
// openvpn's `remote-cert-tls server` requires.
bool has_server_eku(const std::string& pem) {
  gnutls_x509_crt_t crt = nullptr;
  if (gnutls_x509_crt_init(&crt) < 0) return false;
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                   static_cast<unsigned>(pem.size())};
  bool found = false;
  if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) >= 0) {
    for (unsigned i = 0; !found; ++i) {
      char oid[128];
      size_t n = sizeof oid;
      if (gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &n, nullptr) < 0) break;
      found = std::string_view(oid) == GNUTLS_KP_TLS_WWW_SERVER;
    }
  }
  gnutls_x509_crt_deinit(crt);
  return found;
}

std::string default_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "vpn.example.com";
  return name;
}

}  // namespace

int make_profile(const ProfileArgs& a) {
  Config cfg;
  try {
    cfg = load_config_file(a.config, nullptr, nullptr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sslvpnd-ovpn-key: %s\n", e.what());
    return 1;
  }
  if (!cfg.openvpn()) {
    std::fprintf(stderr,
                 "sslvpnd-ovpn-key: OpenVPN is off in %s (set openvpn-udp-port or openvpn-tcp-port)\n",
                 a.config.c_str());
    return 1;
  }
  std::string chain, ca;
  if (!read_text(cfg.server_cert, &chain)) {
    std::fprintf(stderr, "sslvpnd-ovpn-key: cannot read server-cert '%s'\n", cfg.server_cert.c_str());
    return 1;
  }
  auto certs = pem_certificates(chain);
  if (certs.empty()) {
    std::fprintf(stderr, "sslvpnd-ovpn-key: no PEM certificate in '%s'\n", cfg.server_cert.c_str());
    return 1;
  }
  // The CA: given, or the top of the server's chain (the certificate itself when self-signed).
  if (!a.ca.empty()) {
    if (!read_text(a.ca, &ca) || pem_certificates(ca).empty()) {
      std::fprintf(stderr, "sslvpnd-ovpn-key: no PEM certificate in '%s'\n", a.ca.c_str());
      return 1;
    }
  } else {
    ca = certs.back() + "\n";
  }
  std::string host = a.remote.empty() ? default_host() : a.remote;

  std::string p = "# OpenVPN client profile for " + host + ", made by sslvpnd-ovpn-key profile from " +
                  a.config + "\nclient\ndev tun\nnobind\n";
  if (cfg.openvpn_udp_port != 0)
    p += "<connection>\nremote " + host + " " + std::to_string(cfg.openvpn_udp_port) +
         " udp\nexplicit-exit-notify 1\n</connection>\n";
  if (cfg.openvpn_tcp_port != 0)
    p += "<connection>\nremote " + host + " " + std::to_string(cfg.openvpn_tcp_port) +
         " tcp-client\n</connection>\n";
  if (has_server_eku(certs.front()))
    p += "remote-cert-tls server\n";
  else
    p += "# the server's certificate names no TLS server use (EKU): no remote-cert-tls server\n";
  p += "data-ciphers " + cfg.openvpn_data_ciphers + "\n";
  bool password = false, certificate = false, otp = false;
  for (const auto& c : cfg.auth_chains) {
    if (!c.unsupported.empty()) continue;
    password = password || c.password.has_value();
    certificate = certificate || c.certificate;
    otp = otp || (c.password && c.password->params.count("otp"));
  }
  if (password) p += "auth-user-pass\nauth-nocache\n";
  if (otp) p += "static-challenge \"Enter your one-time code\" 1\n";
  if (certificate)
    p += "# this server asks for a client certificate: add the user's as <cert> and <key> blocks\n";
  p += "verb 3\n<ca>\n" + ca + (ca.back() == '\n' ? "" : "\n") + "</ca>\n";

  std::string key;
  if (!cfg.openvpn_tls_crypt_v2.empty()) {
    if (!new_client_key(cfg.openvpn_tls_crypt_v2, a.metadata, &key)) return 1;
    p += "<tls-crypt-v2>\n" + key + "</tls-crypt-v2>\n";
  } else if (!cfg.openvpn_tls_crypt.empty() || !cfg.openvpn_tls_auth.empty()) {
    bool crypt = !cfg.openvpn_tls_crypt.empty();
    const std::string& file = crypt ? cfg.openvpn_tls_crypt : cfg.openvpn_tls_auth;
    if (!read_text(file, &key)) {
      std::fprintf(stderr, "sslvpnd-ovpn-key: cannot read '%s'\n", file.c_str());
      return 1;
    }
    if (!crypt) {
      // The client uses the other direction; with none, both use the key's first half.
      if (cfg.openvpn_tls_auth_direction >= 0)
        p += "key-direction " + std::to_string(1 - cfg.openvpn_tls_auth_direction) + "\n";
      if (cfg.openvpn_auth != "SHA1") p += "auth " + cfg.openvpn_auth + "\n";
    }
    const char* tag = crypt ? "tls-crypt" : "tls-auth";
    p += std::string("<") + tag + ">\n" + key + (key.back() == '\n' ? "" : "\n") + "</" + tag + ">\n";
  }
  bool ok = write_new(a.out, p);
  wipe_string(key);
  wipe_string(p);
  if (ok) std::printf("wrote %s for %s\n", a.out.c_str(), host.c_str());
  return ok ? 0 : 1;
}

}  // namespace sslvpn::ovpnkey
