// sec-mod: the login side of each host (the default's and each [vhost:NAME]'s): its password
// backends and certificate verifier, built from its configuration at start and on reload.
#include <cstdlib>

#include "common/text.hpp"
#include "sec-mod/pam_auth.hpp"
#include "sec-mod/plain_auth.hpp"
#include "sec-mod/radius_acct.hpp"
#include "sec-mod/radius_auth.hpp"
#include "sec-mod/sec_mod.hpp"
#include "worker/openvpn/auth_token.hpp"

namespace sslvpn::secmod {
namespace {

std::unique_ptr<PasswordBackend> make_backend(struct ev_loop* loop, const Config& cfg, const AuthMethod& m,
                                              CryptoPool* pool) {
  auto param = [&](const char* k) { return m.params.count(k) ? m.params.at(k) : std::string(); };
  if (m.name == "plain") return std::make_unique<PlainBackend>(param("passwd"), param("otp"), pool);
  if (m.name == "pam") {
    PamParams p;
    p.service = param("service");
    p.gid_min = static_cast<uint32_t>(std::strtoul(param("gid-min").c_str(), nullptr, 10));
    return std::make_unique<PamBackend>(loop, std::move(p), cfg.auth_timeout);
  }
  if (m.name == "radius") {
    RadiusParams p;
    p.config = param("config");
    p.groupconfig = param("groupconfig") == "true";
    p.nas_identifier = param("nas-identifier");
    return std::make_unique<RadiusBackend>(loop, std::move(p), cfg.auth_timeout);
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<Site> SecMod::make_site(std::shared_ptr<const Config> cfg) {
  auto site = std::make_unique<Site>();
  for (const auto& chain : cfg->auth_chains)
    site->backends.push_back(chain.password ? make_backend(loop_, *cfg, *chain.password, &pool_) : nullptr);
  if (!cfg_.acct_pam_service.empty())  // server-wide, as ocserv's acct
    site->account = std::make_unique<PamAccountBackend>(loop_, cfg_.acct_pam_service, cfg_.auth_timeout);
  if (cfg->cert_login_mode() != 0)
    site->cert.emplace(cfg->ca_cert, cfg->crl, cfg->cert_user_oid, cfg->cert_group_oid,
                       cfg->cert_require_client_purpose);
  site->cfg = std::move(cfg);
  return site;
}

// The login methods and certificate verifiers of every host, and accounting, from cfg_.
void SecMod::build_auth() {
  for (auto& s : sites_) retired_.push_back(std::move(s));
  sites_.clear();
  sites_.push_back(make_site(std::make_shared<const Config>(cfg_)));
  for (const auto& v : cfg_.vhosts) sites_.push_back(make_site(v.config));
  token_key_.reset();
  if (!cfg_.openvpn_auth_token_secret.empty()) {
    auto text = read_file(cfg_.openvpn_auth_token_secret);
    auto key = text ? ovpn::parse_auth_token_secret(*text) : Result<SecretBytes>(Errc::Io);
    if (text) wipe_string(*text);
    if (key.ok())
      token_key_ = std::make_unique<SecretBytes>(std::move(*key));
    else
      log_.error("cannot read openvpn-auth-token-secret '", cfg_.openvpn_auth_token_secret,
                 "'; login tokens are off");
  }
  acct_.reset();  // flushes what is queued
  if (cfg_.acct) {
    const auto& ap = cfg_.acct->params;
    acct_ = std::make_unique<RadiusAccounting>(ap.at("config"),
                                               ap.count("nas-identifier") ? ap.at("nas-identifier") : "");
  }
}

std::shared_ptr<Site> SecMod::site_for(std::string_view vhost) const {
  if (!vhost.empty())
    for (const auto& s : sites_)
      if (iequals(s->cfg->vhost, vhost)) return s;
  return sites_.front();
}

}  // namespace sslvpn::secmod
