// sec-mod: requests about sessions that already exist (GlobalProtect): a login by a cookie we
// issued (the portal's portal-userauthcookie, shown to the gateway), and logout.esp, which ends
// a session for good.
#include "common/secret_bytes.hpp"
#include "sec-mod/sec_mod.hpp"

namespace sslvpn::secmod {

bool SecMod::login_with_cookie(WorkerPeer& p, ipc::AuthInit& a) {
  time_t now = time(nullptr);
  std::string cookie = std::move(*a.mutable_prior_cookie());
  const CookieEntry* e = cookies_.find(cookie, now);
  // The cookie must be the same user's, from the same host: a portal cookie never logs in
  // someone else, nor to a [vhost] whose own methods the user never passed.
  if (e == nullptr || (!a.username().empty() && a.username() != e->user) || e->vhost != a.vhost())
    return false;
  wipe_string(*a.mutable_password());
  p.auth.user = e->user;
  p.state = PeerState::Authed;
  ipc::AuthReply reply;
  reply.set_status(ipc::AuthReply::SUCCESS);
  reply.set_cookie(cookie);
  reply.set_username(e->user);
  reply.set_group(e->group);
  log_.info("worker ", p.id, " (", p.client_ip, "): '", e->user, "' logged in with the portal's cookie");
  send_auth_reply(p, reply);
  return true;
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
