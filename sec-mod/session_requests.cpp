// sec-mod: requests about sessions that already exist (GlobalProtect): a login by a cookie we
// issued (the portal's portal-userauthcookie, shown to the gateway), and logout.esp, which ends
// a session for good.
#include "common/passwd_file.hpp"
#include "common/secret_bytes.hpp"
#include "sec-mod/sec_mod.hpp"
#include "worker/openvpn/auth_token.hpp"

namespace sslvpn::secmod {

bool SecMod::login_with_cookie(WorkerPeer& p, ipc::AuthInit& a) {
  time_t now = time(nullptr);
  std::string cookie = std::move(*a.mutable_prior_cookie());
  const CookieEntry* e = cookies_.find(cookie, now);
  // The cookie must be the same user's, from the same host: a portal cookie never logs in
  // someone else, nor to a [vhost] whose own methods the user never passed.
  if (e == nullptr || (!a.username().empty() && a.username() != e->user) || e->vhost != a.vhost())
    return login_with_token(p, a, now);
  wipe_string(*a.mutable_password());
  p.auth.user = e->user;
  p.state = PeerState::Authed;
  ipc::AuthReply reply;
  reply.set_status(ipc::AuthReply::SUCCESS);
  reply.set_cookie(cookie);
  reply.set_username(e->user);
  reply.set_group(e->group);
  if (token_key_) reply.set_login_token(ovpn::make_login_token(*token_key_, e->user, e->group, now));
  log_.info("worker ", p.id, " (", p.client_ip, "): '", e->user,
            "' logged in with the cookie of a live session");
  send_auth_reply(p, reply);
  return true;
}

// OpenVPN: the cookie is not live here (another server's session, or one from before a
// restart), but the client also showed a login token made with the shared secret: a new
// session for the token's user and group, without the password.
bool SecMod::login_with_token(WorkerPeer& p, ipc::AuthInit& a, time_t now) {
  if (!token_key_ || a.login_token().empty() || a.username().empty() || !a.vhost().empty()) return false;
  auto claims = ovpn::check_login_token(*token_key_, a.login_token(), a.username());
  auto age = claims ? static_cast<int64_t>(now) - static_cast<int64_t>(claims->issued) : -1;
  if (!claims || age < -60 || age > static_cast<int64_t>(cfg_.openvpn_auth_token_lifetime)) {
    log_.info("worker ", p.id, " (", p.client_ip, "): a login token for '",
              valid_user_name(a.username()) ? a.username() : "(invalid name)", "' was refused (",
              claims ? "expired" : "not made with this server's secret", ")");
    return false;
  }
  wipe_string(*a.mutable_password());
  p.auth.user = a.username();
  p.auth.wanted_group.clear();
  log_.info("worker ", p.id, " (", p.client_ip, "): '", p.auth.user,
            "' logged in with a login token (openvpn-auth-token-secret)");
  std::vector<std::string> groups;
  if (!claims->group.empty()) groups.push_back(claims->group);
  finish_success(p, std::move(groups));
  return true;
}

Result<void> SecMod::check_cookie(WorkerPeer& p, const ipc::AuthInit& a) {
  if (++p.cookie_checks > kMaxCookieChecksPerWorker) return Errc::Limit;
  const CookieEntry* e = cookies_.find(a.prior_cookie(), time(nullptr));
  ipc::AuthReply reply;
  reply.set_status(e != nullptr && e->vhost == a.vhost() ? ipc::AuthReply::SUCCESS : ipc::AuthReply::DENIED);
  if (reply.status() == ipc::AuthReply::SUCCESS) {
    reply.set_username(e->user);
    log_.debug("worker ", p.id, " (", p.client_ip, "): a cookie of '", e->user, "' checked (profile)");
  } else {
    log_.info("worker ", p.id, " (", p.client_ip, "): a profile request with an invalid or expired cookie");
  }
  send_auth_reply(p, reply);
  return {};
}

Result<void> SecMod::on_logout(WorkerPeer& p, ipc::WorkerToSecMod& m) {
  // One connection logs out once or twice; more is someone guessing cookies.
  if (++p.logouts > kMaxLogoutsPerWorker) return Errc::Limit;
  time_t now = time(nullptr);
  const CookieEntry* e = cookies_.find(m.logout().cookie(), now);
  ipc::SecModToWorker reply;
  reply.mutable_logout()->set_ok(e != nullptr);
  if (e != nullptr) {
    uint64_t sid = e->session_id;
    log_.info("worker ", p.id, " (", p.client_ip, "): '", e->user, "' logged out");
    cookies_.detach(sid, true, now);
    ipc::SecModToMain gone;
    gone.mutable_session_expired()->set_session_id(sid);
    gone.mutable_session_expired()->set_logout(true);
    (void)main_.send(gone);
  }
  return p.channel.send(reply);
}

}  // namespace sslvpn::secmod
