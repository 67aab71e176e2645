#include "main/settings_loader.hpp"

#include "worker/openvpn/auth_token.hpp"
#include "worker/openvpn/tls_crypt_v2.hpp"
#include "worker/openvpn/wrap.hpp"

#include <gnutls/crypto.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

#include "common/hex.hpp"
#include "common/ipc_channel.hpp"
#include "common/ocsp_response.hpp"
#include "common/text.hpp"
#include "common/trust_files.hpp"
#include "main/auto_groups.hpp"
#include "main/user_settings.hpp"

namespace sslvpn::mainproc {
namespace {

// Workers never run as root: ocserv takes run-as-user = root (and its workers keep root's
// powers); sslvpnd starts with such a file, with a warning, and runs them as 'sslvpnd' (the
// package's account) or else 'nobody'.
const passwd* unprivileged_instead(const std::string& what, Logger& log) {
  for (const char* name : {"sslvpnd", "nobody"}) {
    const passwd* pw = ::getpwnam(name);
    if (pw == nullptr || pw->pw_uid == 0) continue;
    log.warn(what, " is root: workers never run as root in sslvpnd; they run as '", name, "'");
    return pw;
  }
  throw std::runtime_error(what +
                           " must not be root, and neither 'sslvpnd' nor 'nobody' exists to take its place");
}

RuntimeIdentity resolve_identity(const Config& c, Logger& log) {
  RuntimeIdentity id;
  const passwd* pw = ::getpwnam(c.run_as_user.c_str());
  if (pw == nullptr)
    throw std::runtime_error("run-as-user '" + c.run_as_user +
                             "' does not exist; create it (useradd --system --no-create-home --shell "
                             "/usr/sbin/nologin " +
                             c.run_as_user + ") or set run-as-user");
  if (pw->pw_uid == 0) pw = unprivileged_instead("run-as-user '" + c.run_as_user + "'", log);
  id.uid = pw->pw_uid;
  id.gid = pw->pw_gid;
  if (!c.run_as_group.empty()) {
    const group* gr = ::getgrnam(c.run_as_group.c_str());
    if (gr == nullptr) throw std::runtime_error("run-as-group '" + c.run_as_group + "' does not exist");
    if (gr->gr_gid != 0)
      id.gid = gr->gr_gid;
    else
      log.warn("run-as-group '", c.run_as_group, "' is root's group: workers keep the group of their user");
  }
  return id;
}

// Files the login methods read: a missing CA or CRL is an error when a login uses certificates
// (their checks could not work) and a warning otherwise, as ocserv starts then; a missing
// password file or PAM service is a warning (they may be created later).
// ocserv's PAM service is always "ocserv" (its pam method names none); sslvpnd's default is
// "sslvpnd". A stack an admin gave ocserv (an OTP module, a group check) left behind would let
// users in with less: say so while it differs from the one used.
void warn_ocserv_pam_stack(const std::string& service, Logger& log) {
  const std::string ours = "/etc/pam.d/" + service, theirs = "/etc/pam.d/ocserv";
  if (service == "ocserv") return;
  auto a = read_file(theirs);
  if (!a) return;
  auto b = read_file(ours);
  if (b && *a == *b) return;
  log.warn("PAM logins use ", ours, ", not ocserv's ", theirs,
           " (ocserv always used the service 'ocserv'): if that stack asks more than the password "
           "(an OTP module, a group check), give auth = pam[service=ocserv] or copy it to ",
           ours);
}

void check_auth_files(const Config& c, Logger& log) {
  for (const auto& [key, file] :
       {std::pair<const char*, const std::string&>{"ca-cert", c.ca_cert}, {"crl", c.crl}}) {
    if (file.empty() || ::access(file.c_str(), R_OK) == 0) continue;
    if (c.cert_login_mode() != 0)
      throw std::runtime_error(std::string("cannot read ") + key + " '" + file + "'");
    log.warn("cannot read ", key, " '", file, "'; no login uses certificates, so it is not needed");
  }
  // The CA and CRL as sec-mod will load them: a CRL no CA of ca-cert signed would let revoked
  // certificates in, so sec-mod refuses every certificate with it; say so now, and warn of one
  // that is out of date.
  if (c.cert_login_mode() != 0 && !c.crl.empty()) {
    std::string error;
    std::vector<std::string> warnings;
    if (!load_client_trust(c.ca_cert, c.crl, &error, &warnings)) throw std::runtime_error(error);
    for (const auto& w : warnings) log.warn(w);
  }
  for (const auto& chain : c.auth_chains) {
    if (!chain.password) continue;
    const auto& p = chain.password->params;
    for (const char* key : {"passwd", "otp"}) {
      auto it = p.find(key);
      if (chain.password->name == "plain" && it != p.end() && ::access(it->second.c_str(), R_OK) != 0)
        log.warn(key, " file '", it->second, "' is not readable yet; logins will fail");
    }
    if (chain.password->name == "pam") {
      std::string svc = "/etc/pam.d/" + p.at("service");
      if (::access(svc.c_str(), R_OK) != 0)
        log.warn("PAM service '", p.at("service"), "' has no ", svc, "; PAM will use its 'other' stack");
      warn_ocserv_pam_stack(p.at("service"), log);
    }
  }
}

// user-profile: the AnyConnect XML profile, read once with the configuration (workers cannot
// open files). Its name under /profiles/ is the file's, in characters a URL carries as they are.
// It travels in each worker's startup message (at most kMaxIpcMessage, 64 KiB) with every
// host's certificate chain: together they must leave room for the rest (kStartupReserve).
constexpr size_t kMaxUserProfile = 32 * 1024;
constexpr size_t kStartupReserve = 2 * 1024;

void read_user_profile(Config& c) {
  if (c.user_profile.empty()) return;
  auto xml = read_regular_file(c.user_profile, kMaxUserProfile);
  if (!xml && !c.chroot_dir.empty())  // as ocserv: a path inside chroot-dir, as its workers saw it
    xml = read_regular_file(c.chroot_dir + "/" + c.user_profile, kMaxUserProfile);
  if (!xml || xml->empty())
    throw std::runtime_error("cannot read user-profile '" + c.user_profile + "' (a regular, non-empty file)");
  if (xml->size() > kMaxUserProfile)
    throw std::runtime_error("user-profile '" + c.user_profile + "' is larger than 32 KiB");
  uint8_t digest[20];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA1, xml->data(), xml->size(), digest) != 0)
    throw std::runtime_error("cannot hash user-profile '" + c.user_profile + "'");
  c.user_profile_sha1 = hex_encode(digest);
  std::string name = c.user_profile.substr(c.user_profile.rfind('/') + 1);
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '_') ch = '_';
  c.user_profile_name = name.empty() ? "profile.xml" : name;
  c.user_profile_xml = std::move(*xml);
}

// One host's files (the default's or a [vhost:]'s): its certificate chains and OCSP response,
// which are returned, its keys (sec-mod reads them), what its logins read, and its user-profile
// (into c). What is wrong with the OCSP response is logged and added to `notes` (a reload's
// answer shows them).
HostCerts read_host_files(Config& c, Logger& log, std::vector<std::string>* notes) {
  std::string where = c.vhost.empty() ? "" : "[vhost:" + c.vhost + "]: ";
  HostCerts h;
  for (size_t i = 0; i <= c.more_server_certs.size(); ++i) {
    const std::string& cert = i == 0 ? c.server_cert : c.more_server_certs[i - 1];
    const std::string& key = i == 0 ? c.server_key : c.more_server_keys[i - 1];
    auto chain = read_file(cert);
    if (!chain) throw std::runtime_error(where + "cannot read server-cert '" + cert + "'");
    if (::access(key.c_str(), R_OK) != 0)
      throw std::runtime_error(where + "cannot read server-key '" + key + "'");
    (i == 0 ? h.chain_pem : h.more_chains.emplace_back()) = std::move(*chain);
  }
  OcspResponseFile resp = load_ocsp_response(c.ocsp_response, h.chain_pem, ::time(nullptr));
  for (const auto& w : resp.warnings) {
    notes->push_back(where + w);
    log.warn(notes->back());
  }
  h.ocsp_response = std::move(resp.der);
  try {
    check_auth_files(c, log);
    read_user_profile(c);
    if (c.expose_iroutes) {
      std::vector<std::string> warnings;
      c.known_iroutes = read_known_iroutes(c.config_per_user, &warnings);
      for (const auto& w : warnings) log.warn(where, w);
      if (c.config_per_user.empty())
        log.warn(where, "expose-iroutes without config-per-user: no iroute to expose");
    }
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(where + e.what());
  }
  return h;
}

}  // namespace

ServerSettings load_server_settings(const std::string& config_path, Logger& log) {
  std::vector<ConfigWarning> warnings;
  ServerSettings s;
  auto show = [&] {
    for (const auto& w : warnings) {
      s.warnings.push_back(config_path + ":" + std::to_string(w.line) + ": " + w.text);
      log.warn(s.warnings.back());
    }
  };
  Config c;
  try {
    c = load_config_file(config_path, &warnings, &s.config_text);
  } catch (const ConfigError&) {
    show();  // what was skipped before the error (an unknown key) is worth knowing too
    throw;
  }
  show();
  s.config_path = config_path;
  s.identity = resolve_identity(c, log);
  s.certs = read_host_files(c, log, &s.warnings);
  add_auto_select_groups(c, log);
  for (auto& v : c.vhosts) {
    Config vc = *v.config;
    s.vhost_certs.push_back(read_host_files(vc, log, &s.warnings));
    add_auto_select_groups(vc, log);
    v.config = std::make_shared<const Config>(std::move(vc));
  }
  if (const std::string& f = !c.openvpn_tls_crypt.empty() ? c.openvpn_tls_crypt : c.openvpn_tls_auth;
      !f.empty()) {
    auto text = read_file(f);
    if (!text) throw std::runtime_error("cannot read the OpenVPN key '" + f + "'");
    auto key = ovpn::parse_static_key(*text);
    wipe_string(*text);
    if (!key.ok())
      throw std::runtime_error(
          "'" + f + "' is not an OpenVPN static key (make one with: openvpn --genkey secret " + f + ")");
    s.openvpn_wrap_key = std::string(key->view());
  }
  if (const std::string& f = c.openvpn_tls_crypt_v2; !f.empty()) {
    auto text = read_file(f);
    if (!text) throw std::runtime_error("cannot read the OpenVPN tls-crypt-v2 server key '" + f + "'");
    auto key = ovpn::parse_tls_crypt_v2_server_key(*text);
    wipe_string(*text);
    if (!key.ok())
      throw std::runtime_error(
          "'" + f + "' is not a tls-crypt-v2 server key (make one with: sslvpnd-ovpn-key server " + f + ")");
    s.openvpn_v2_key = std::string(key->view());
  }
  if (const std::string& f = c.openvpn_auth_token_secret; !f.empty()) {  // sec-mod reads it; checked here
    auto text = read_file(f);
    auto key = text ? ovpn::parse_auth_token_secret(*text) : Result<SecretBytes>(Errc::Io);
    if (text) wipe_string(*text);
    if (!key.ok())
      throw std::runtime_error(
          "'" + f + "' is not an OpenVPN auth-token key (make one with: openvpn --genkey auth-token " + f +
          ")");
  }
  // What every HTTPS worker's startup message carries (chains, login pages, profiles, banners,
  // groups, headers) must fit the IPC limit with room for its per-connection fields.
  auto startup_bytes = [&] {
    ipc::WorkerStartup st;
    set_startup_certs(s.certs, &st);
    st.set_tls_priorities(c.tls_priorities);
    fill_https_startup(c, s.vhost_certs, st);
    return st.ByteSizeLong();
  };
  size_t bytes = startup_bytes();
  // OCSP responses are a help, not a need: past the limit they go first (ocserv starts without
  // them too), and the rest must fit.
  bool any_ocsp = !s.certs.ocsp_response.empty() ||
                  std::any_of(s.vhost_certs.begin(), s.vhost_certs.end(),
                              [](const HostCerts& h) { return !h.ocsp_response.empty(); });
  if (bytes + kStartupReserve > kMaxIpcMessage && any_ocsp) {
    s.certs.ocsp_response.clear();
    for (auto& h : s.vhost_certs) h.ocsp_response.clear();
    s.warnings.push_back(
        "the hosts' OCSP responses do not fit a worker's startup message with their certificate "
        "chains, login pages and profiles; none is stapled");
    log.warn(s.warnings.back());
    bytes = startup_bytes();
  }
  if (bytes + kStartupReserve > kMaxIpcMessage)
    throw std::runtime_error(
        "the certificate chains, login pages, user-profiles and banners of all hosts take " +
        std::to_string(bytes) + " bytes; a worker's startup message holds " +
        std::to_string(kMaxIpcMessage - kStartupReserve) + " of them: make them smaller");
  s.config = std::make_shared<const Config>(std::move(c));
  return s;
}

}  // namespace sslvpn::mainproc
