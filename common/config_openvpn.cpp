#include "common/config_openvpn.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "common/text.hpp"

namespace sslvpn::openvpn_config {
namespace {

using cfgval::fail;

constexpr std::string_view kKeys[] = {
    "openvpn-udp-port",
    "openvpn-tcp-port",
    "openvpn-tls-crypt",
    "openvpn-tls-auth",
    "openvpn-tls-crypt-v2",
    "openvpn-data-ciphers",
    "openvpn-reneg-sec",
    "openvpn-auth",
    "openvpn-auth-token-secret",
    "openvpn-auth-token-lifetime",
    "openvpn-tls-crypt-v2-force-cookie",
    "openvpn-client-config-dir",
    "openvpn-ccd-exclusive",
    "openvpn-status",
    "openvpn-status-version",
    "openvpn-management",
};

constexpr std::string_view kCiphers[] = {"AES-256-GCM", "AES-128-GCM", "CHACHA20-POLY1305"};

std::string upper(std::string_view v) {
  std::string s(v);
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

bool is_key(std::string_view key) {
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

void apply(Config& cfg, const cfgval::Where& w, std::string_view v) {
  if (w.key == "openvpn-udp-port") {
    cfg.openvpn_udp_port = static_cast<uint16_t>(cfgval::parse_uint(w, v, 65535));
  } else if (w.key == "openvpn-tcp-port") {
    cfg.openvpn_tcp_port = static_cast<uint16_t>(cfgval::parse_uint(w, v, 65535));
  } else if (w.key == "openvpn-tls-crypt") {
    cfg.openvpn_tls_crypt = std::string(v);
  } else if (w.key == "openvpn-tls-auth") {
    // openvpn's own form: "FILE [DIRECTION]"
    auto sp = v.find_first_of(" \t");
    cfg.openvpn_tls_auth = std::string(v.substr(0, sp));
    cfg.openvpn_tls_auth_direction = -1;
    if (sp != std::string_view::npos) {
      std::string_view dir = trim(v.substr(sp));
      if (dir == "0" || dir == "1")
        cfg.openvpn_tls_auth_direction = dir == "0" ? 0 : 1;
      else if (!dir.empty())
        fail(w.origin, w.line,
             "openvpn-tls-auth: the key direction must be 0 or 1, got '" + std::string(dir) + "'");
    }
  } else if (w.key == "openvpn-auth") {
    // openvpn's --auth: the HMAC digest of tls-auth (its AEAD data channel has no separate MAC).
    std::string d = upper(trim(v));
    if (d != "SHA1" && d != "SHA224" && d != "SHA256" && d != "SHA384" && d != "SHA512")
      fail(w.origin, w.line, "openvpn-auth: '" + d + "' is not one of SHA1, SHA224, SHA256, SHA384, SHA512");
    cfg.openvpn_auth = d;
  } else if (w.key == "openvpn-tls-crypt-v2") {
    cfg.openvpn_tls_crypt_v2 = std::string(v);
  } else if (w.key == "openvpn-data-ciphers") {
    std::string list;
    std::string_view rest = v;
    while (!rest.empty()) {
      auto c = rest.find(':');
      std::string name = upper(trim(rest.substr(0, c)));
      rest = c == std::string_view::npos ? std::string_view{} : rest.substr(c + 1);
      if (name.empty()) continue;
      if (std::find(std::begin(kCiphers), std::end(kCiphers), name) == std::end(kCiphers))
        fail(
            w.origin, w.line,
            "openvpn-data-ciphers: '" + name + "' is not one of AES-256-GCM, AES-128-GCM, CHACHA20-POLY1305");
      if (!list.empty()) list += ':';
      list += name;
    }
    if (list.empty()) fail(w.origin, w.line, "openvpn-data-ciphers is empty");
    cfg.openvpn_data_ciphers = list;
  } else if (w.key == "openvpn-reneg-sec") {
    cfg.openvpn_reneg_sec = cfgval::parse_seconds(w, v);
  } else if (w.key == "openvpn-client-config-dir") {
    cfg.openvpn_client_config_dir = std::string(v);
    while (cfg.openvpn_client_config_dir.size() > 1 && cfg.openvpn_client_config_dir.back() == '/')
      cfg.openvpn_client_config_dir.pop_back();
  } else if (w.key == "openvpn-ccd-exclusive") {
    cfg.openvpn_ccd_exclusive = cfgval::parse_bool(w, v);
  } else if (w.key == "openvpn-tls-crypt-v2-force-cookie") {
    cfg.openvpn_tls_crypt_v2_force_cookie = cfgval::parse_bool(w, v);
  } else if (w.key == "openvpn-status") {
    // openvpn's own form: "FILE [SECONDS]"
    auto sp = v.find_first_of(" \t");
    cfg.openvpn_status_file = std::string(v.substr(0, sp));
    cfg.openvpn_status_interval = 60;
    if (sp != std::string_view::npos) {
      cfg.openvpn_status_interval = static_cast<uint32_t>(cfgval::parse_uint(w, trim(v.substr(sp)), 86400));
      if (cfg.openvpn_status_interval == 0)
        fail(w.origin, w.line, "openvpn-status: the interval must be at least 1 s");
    }
  } else if (w.key == "openvpn-status-version") {
    cfg.openvpn_status_version = static_cast<int>(cfgval::parse_uint(w, v, 3));
    if (cfg.openvpn_status_version == 0) fail(w.origin, w.line, "openvpn-status-version must be 1, 2 or 3");
  } else if (w.key == "openvpn-management") {
    // openvpn's own form: "IP PORT [PASSWORD-FILE]" or "PATH unix [PASSWORD-FILE]"
    std::vector<std::string> words;
    for (size_t at = 0; at < v.size();) {
      size_t end = v.find_first_of(" \t", at);
      if (end == std::string_view::npos) end = v.size();
      if (end > at) words.emplace_back(v.substr(at, end - at));
      at = end + 1;
    }
    if (words.size() < 2 || words.size() > 3)
      fail(w.origin, w.line,
           "openvpn-management takes 'IP PORT [PASSWORD-FILE]' or 'PATH unix [PASSWORD-FILE]'");
    cfg.openvpn_management = words[0] + " " + words[1];
    cfg.openvpn_management_password_file = words.size() == 3 ? words[2] : "";
  } else if (w.key == "openvpn-auth-token-secret") {
    cfg.openvpn_auth_token_secret = std::string(v);
  } else if (w.key == "openvpn-auth-token-lifetime") {
    cfg.openvpn_auth_token_lifetime = cfgval::parse_seconds(w, v);
    if (cfg.openvpn_auth_token_lifetime == 0)
      fail(
          w.origin, w.line,
          "openvpn-auth-token-lifetime must be at least 1 second (a token that never expires is a password)");
  }
}

void validate(const Config& cfg, std::string_view origin, int line) {
  // The management interface ends sessions: on a network address only behind a password.
  const std::string& m = cfg.openvpn_management;
  std::string host = m.substr(0, m.find(' '));
  bool local = m.ends_with(" unix") || host == "localhost" || host.starts_with("127.") || host == "::1";
  if (!m.empty() && !local && cfg.openvpn_management_password_file.empty())
    fail(origin, line,
         "openvpn-management on a network address (" + host +
             ") needs a password file: whoever reaches it could list and end sessions; or use 127.0.0.1 "
             "or a Unix socket");
  if (cfg.openvpn_ccd_exclusive && cfg.openvpn_client_config_dir.empty())
    fail(origin, line, "openvpn-ccd-exclusive needs an openvpn-client-config-dir");
  int wraps =
      !cfg.openvpn_tls_crypt.empty() + !cfg.openvpn_tls_auth.empty() + !cfg.openvpn_tls_crypt_v2.empty();
  if (wraps > 1)
    fail(origin, line, "set one of openvpn-tls-crypt-v2, openvpn-tls-crypt and openvpn-tls-auth, not more");
  if (cfg.openvpn_tcp_port != 0 && cfg.openvpn_tcp_port == cfg.tcp_port)
    fail(origin, line, "openvpn-tcp-port must differ from tcp-port");
  uint16_t udp_used[] = {cfg.udp_port, cfg.gp_esp_port};
  for (uint16_t p : udp_used)
    if (cfg.openvpn_udp_port != 0 && cfg.openvpn_udp_port == p)
      fail(origin, line, "openvpn-udp-port must differ from udp-port and gp-esp-port");
}

}  // namespace sslvpn::openvpn_config
