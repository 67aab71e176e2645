// sslvpnd-ovpn-key profile: a complete openvpn client profile (.ovpn) for this server, read from
// its configuration: a <connection> per OpenVPN port (UDP first, with explicit-exit-notify;
// then TCP), the CA inline, the control-channel key inline (a fresh client key of its own with
// tls-crypt-v2; the shared file with tls-crypt or tls-auth, with its key-direction and digest),
// the data ciphers, and what the logins need (auth-user-pass; static-challenge for a TOTP code;
// a note where a client certificate is asked for).
#include "tools/ovpn-key/profile.hpp"

#include <gnutls/x509.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/text.hpp"
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

// What the profile needs to know of a certificate: whether it signed itself (a root the
// client can trust as is), and whether openvpn's `remote-cert-tls server` accepts it (a key
// usage extension, and TLS server authentication in the extended key usage).
struct CertFacts {
  bool self_signed = false, tls_server = false;
};
CertFacts facts_of(const std::string& pem) {
  CertFacts f;
  gnutls_x509_crt_t crt = nullptr;
  if (gnutls_x509_crt_init(&crt) < 0) return f;
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                   static_cast<unsigned>(pem.size())};
  if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) >= 0) {
    f.self_signed = gnutls_x509_crt_check_issuer(crt, crt) != 0;
    unsigned usage = 0;
    bool eku = false;
    for (unsigned i = 0; !eku; ++i) {
      char oid[128];
      size_t n = sizeof oid;
      if (gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &n, nullptr) < 0) break;
      eku = std::string_view(oid) == GNUTLS_KP_TLS_WWW_SERVER;
    }
    f.tls_server = eku && gnutls_x509_crt_get_key_usage(crt, &usage, nullptr) >= 0;
  }
  gnutls_x509_crt_deinit(crt);
  return f;
}

std::string default_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "vpn.example.com";
  return name;
}

}  // namespace

namespace {

bool fail(const std::string& why) {
  std::fprintf(stderr, "sslvpnd-ovpn-key: %s\n", why.c_str());
  return false;
}

// Whether `issuer` (PEM) signed `crt` (PEM): its name and signature.
bool issued(const std::string& issuer, const std::string& crt) {
  gnutls_x509_crt_t i = nullptr, c = nullptr;
  bool ok = false;
  if (gnutls_x509_crt_init(&i) >= 0 && gnutls_x509_crt_init(&c) >= 0) {
    gnutls_datum_t di{reinterpret_cast<unsigned char*>(const_cast<char*>(issuer.data())),
                      static_cast<unsigned>(issuer.size())};
    gnutls_datum_t dc{reinterpret_cast<unsigned char*>(const_cast<char*>(crt.data())),
                      static_cast<unsigned>(crt.size())};
    unsigned status = 0;
    ok = gnutls_x509_crt_import(i, &di, GNUTLS_X509_FMT_PEM) >= 0 &&
         gnutls_x509_crt_import(c, &dc, GNUTLS_X509_FMT_PEM) >= 0 &&
         gnutls_x509_crt_check_issuer(c, i) != 0 && gnutls_x509_crt_verify(c, &i, 1, 0, &status) >= 0 &&
         status == 0;
  }
  if (c) gnutls_x509_crt_deinit(c);
  if (i) gnutls_x509_crt_deinit(i);
  return ok;
}

// The CA the client checks the server with: --ca; else the top of server-cert's chain when it
// is a root (the certificate itself when self-signed); else ca-cert when it issued that top (an
// openvpn PKI: one CA for the server and the clients). Otherwise --ca is needed.
bool choose_ca(const ProfileArgs& a, const std::string& ca_cert, const std::vector<std::string>& chain,
               std::string* ca) {
  // A file's certificates alone: whatever else it holds (a CA's key) stays out of profiles.
  auto take = [ca](const std::vector<std::string>& certs) {
    ca->clear();
    for (const auto& c : certs) ca->append(c).push_back('\n');
    return true;
  };
  if (!a.ca.empty()) {
    auto text = read_file(a.ca);
    auto certs = text ? pem_certificates(*text) : std::vector<std::string>{};
    if (certs.empty()) return fail("no PEM certificate in '" + a.ca + "'");
    return take(certs);
  }
  if (!facts_of(chain.back()).self_signed && !ca_cert.empty()) {
    auto text = read_file(ca_cert);
    auto certs = text ? pem_certificates(*text) : std::vector<std::string>{};
    if (std::any_of(certs.begin(), certs.end(),
                    [&](const std::string& c) { return issued(c, chain.back()); }))
      return take(certs);
  }
  if (!facts_of(chain.back()).self_signed)
    return fail(
        "server-cert's chain does not end in its root CA, and ca-cert did not issue it: name the CA clients "
        "should trust with --ca FILE");
  *ca = chain.back() + "\n";
  return true;
}

// A <connection> per OpenVPN port, UDP first (explicit-exit-notify is UDP's).
void add_connections(const Config& cfg, const std::string& host, std::string& p) {
  if (cfg.openvpn_udp_port != 0)
    p += "<connection>\nremote " + host + " " + std::to_string(cfg.openvpn_udp_port) +
         " udp\nexplicit-exit-notify 1\n</connection>\n";
  if (cfg.openvpn_tcp_port != 0)
    p += "<connection>\nremote " + host + " " + std::to_string(cfg.openvpn_tcp_port) +
         " tcp-client\n</connection>\n";
}

// What the ways in need: a password, a TOTP code with it, a client certificate.
void add_login(const Config& cfg, std::string& p) {
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
}

// The control channel's key, inline: a new tls-crypt-v2 client key, or the shared file of
// tls-crypt or tls-auth (with the client's key-direction and digest). No copy is left unwiped.
bool add_wrap_key(const Config& cfg, const ProfileArgs& a, std::string& p) {
  std::string key;
  if (!cfg.openvpn_tls_crypt_v2.empty()) {
    if (!new_client_key(cfg.openvpn_tls_crypt_v2, a.metadata, &key)) return false;
    p.append("<tls-crypt-v2>\n").append(key).append("</tls-crypt-v2>\n");
    wipe_string(key);
    return true;
  }
  if (a.metadata)
    std::fprintf(stderr, "sslvpnd-ovpn-key: --metadata is for tls-crypt-v2 keys only; ignored\n");
  if (cfg.openvpn_tls_crypt.empty() && cfg.openvpn_tls_auth.empty()) return true;
  bool crypt = !cfg.openvpn_tls_crypt.empty();
  const std::string& file = crypt ? cfg.openvpn_tls_crypt : cfg.openvpn_tls_auth;
  if (auto text = read_file(file)) key = std::move(*text);
  if (key.find("-----BEGIN OpenVPN Static key V1-----") == std::string::npos) {
    wipe_string(key);
    return fail("'" + file + "' is not an openvpn static key file");
  }
  if (!crypt) {
    // The client uses the other direction; with none, both use the key's first half.
    if (cfg.openvpn_tls_auth_direction >= 0)
      p += "key-direction " + std::to_string(1 - cfg.openvpn_tls_auth_direction) + "\n";
    if (cfg.openvpn_auth != "SHA1") p += "auth " + cfg.openvpn_auth + "\n";
  }
  const char* tag = crypt ? "tls-crypt" : "tls-auth";
  p.append("<").append(tag).append(">\n").append(key);
  if (key.back() != '\n') p.push_back('\n');
  p.append("</").append(tag).append(">\n");
  wipe_string(key);
  return true;
}

}  // namespace

int make_profile(const ProfileArgs& a) {
  Config cfg;
  try {
    cfg = load_config_file(a.config, nullptr, nullptr);
  } catch (const std::exception& e) {
    fail(e.what());
    return 1;
  }
  if (!cfg.openvpn()) {
    fail("OpenVPN is off in " + a.config + " (set openvpn-udp-port or openvpn-tcp-port)");
    return 1;
  }
  std::string ca;
  auto text = read_file(cfg.server_cert);
  if (!text) {
    fail("cannot read server-cert '" + cfg.server_cert + "'");
    return 1;
  }
  auto chain = pem_certificates(*text);
  if (chain.empty()) {
    fail("no PEM certificate in '" + cfg.server_cert + "'");
    return 1;
  }
  if (!choose_ca(a, cfg.ca_cert, chain, &ca)) return 1;
  std::string host = a.remote.empty() ? default_host() : a.remote;

  std::string p = "# OpenVPN client profile for " + host + ", made by sslvpnd-ovpn-key profile from " +
                  a.config + "\nclient\ndev tun\nnobind\n";
  add_connections(cfg, host, p);
  p +=
      facts_of(chain.front()).tls_server
          ? "remote-cert-tls server\n"
          : "# the server's certificate is not marked for TLS servers (key usage, EKU): no remote-cert-tls\n";
  p += "data-ciphers " + cfg.openvpn_data_ciphers + "\n";
  add_login(cfg, p);
  p += "verb 3\n<ca>\n" + ca + "</ca>\n";
  bool ok = add_wrap_key(cfg, a, p) && write_new(a.out, p);
  wipe_string(p);
  if (ok) std::printf("wrote %s for %s\n", a.out.c_str(), host.c_str());
  return ok ? 0 : 1;
}

}  // namespace sslvpn::ovpnkey
