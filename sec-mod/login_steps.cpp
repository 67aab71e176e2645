// sec-mod's login steps: a password method's conversation, acct = pam's account check, and
// how a login ends (success with its cookie, a failure the client may retry, a denial).
#include <ctime>
#include <utility>

#include "common/passwd_file.hpp"
#include "common/secret_bytes.hpp"
#include "common/text.hpp"
#include "sec-mod/sec_mod.hpp"
#include "worker/openvpn/auth_token.hpp"

namespace sslvpn::secmod {

void SecMod::start_password(WorkerPeer& p, size_t chain, const std::string& user, std::string& password,
                            bool has_pw) {
  p.auth.chain = chain;
  p.auth.user = user;
  LoginStart s{user, password, has_pw, p.client_ip};
  wipe_string(password);
  converse(p, *p.auth.site->backends.at(chain), s);
}

// Starts a conversation of `backend` for `p` under a new context; its steps reach on_step.
void SecMod::converse(WorkerPeer& p, PasswordBackend& backend, LoginStart& s) {
  p.state = PeerState::Pending;
  if (!p.auth.context.empty()) login_owner_.erase(p.auth.context);
  p.auth.context = random_hex(32);
  login_owner_[p.auth.context] = p.id;
  std::string ctx = p.auth.context;
  std::optional<AuthStep> first;
  p.auth.login = backend.start(
      s, [this, ctx](AuthStep st) { on_step(ctx, std::move(st)); }, &first);
  wipe_string(s.password);
  if (first) on_step(ctx, std::move(*first));
}

// acct = pam: the login succeeded; the session opens once the PAM stack's account checks pass.
void SecMod::check_account(WorkerPeer& p, std::vector<std::string> groups,
                           const ipc::UserSettings& settings) {
  p.auth.held.emplace(std::move(groups), settings);
  LoginStart s{p.auth.user, {}, false, p.client_ip};
  converse(p, *p.auth.site->account, s);
}

// acct = pam: a login by `auth = pam` on the same stack ran its pam_acct_mgmt already.
bool SecMod::pam_login_checked_account(const WorkerPeer& p) const {
  const auto& chains = p.auth.site->cfg->auth_chains;
  if (p.auth.chain >= chains.size() || !chains[p.auth.chain].password) return false;
  const AuthMethod& m = *chains[p.auth.chain].password;
  auto service = m.params.find("service");
  return m.name == "pam" &&
         (service == m.params.end() ? "sslvpnd" : service->second) == cfg_.acct_pam_service;
}

void SecMod::on_step(const std::string& context, AuthStep step) {
  auto owner = login_owner_.find(context);
  if (owner == login_owner_.end()) return;
  if (owner->second == 0) {  // parked: its method gave up waiting (auth-timeout)
    if (step.kind != AuthStep::Kind::Prompt) {
      parked_.erase(context);
      login_owner_.erase(owner);
    }
    return;
  }
  auto it = peers_.find(owner->second);
  if (it == peers_.end()) return;
  WorkerPeer& p = *it->second;
  if (p.state != PeerState::Pending) return;  // a step nobody waits for
  switch (step.kind) {
    case AuthStep::Kind::Prompt: {
      if (++p.auth.rounds > kMaxAuthRounds) {
        deny(p, "too many questions in one login", "Login failed.");
        return;
      }
      p.state = PeerState::Answering;
      ipc::AuthReply reply;
      reply.set_status(ipc::AuthReply::CONTINUE);
      reply.set_context(p.auth.context);
      *reply.mutable_form() = std::move(step.form);
      send_auth_reply(p, reply);
      return;
    }
    case AuthStep::Kind::Success: {
      p.auth.login.reset();
      if (p.auth.held) {  // acct = pam: the account check passed
        auto held = std::move(*p.auth.held);
        p.auth.held.reset();
        p.auth.account_checked_for = p.auth.user;
        finish_success(p, std::move(held.first), held.second);
        return;
      }
      if (pam_login_checked_account(p)) p.auth.account_checked_for = p.auth.user;
      if (p.auth.cert && p.auth.cert->ok && !p.auth.cert->group.empty() &&
          !p.auth.site->cfg->cert_group_oid.empty())
        step.groups = {p.auth.cert->group};
      finish_success(p, std::move(step.groups), step.settings);
      return;
    }
    case AuthStep::Kind::Failure:
      p.auth.login.reset();
      if (p.auth.held) {
        p.auth.held.reset();
        if (!step.busy) {  // acct = pam refused the account: no retry would change that
          deny(p, step.reason, step.user_message.empty() ? "Login failed." : step.user_message, false);
          return;
        }
      }
      finish_failure(p, step);
      return;
  }
}

void SecMod::finish_success(WorkerPeer& p, std::vector<std::string> groups,
                            const ipc::UserSettings& settings) {
  std::string group;
  if (p.auth.wanted_group.empty()) {
    group = groups.empty() ? "" : groups.front();
  } else {
    bool member = false;
    for (const auto& g : groups) member = member || g == p.auth.wanted_group;
    if (!member) {
      finish_failure(p, AuthStep::failure("not a member of group '" + p.auth.wanted_group + "'"));
      return;
    }
    group = p.auth.wanted_group;
  }
  if (p.auth.site->account && p.auth.account_checked_for != p.auth.user) {
    check_account(p, std::move(groups), settings);  // then here again
    return;
  }
  p.state = PeerState::Authed;
  ipc::AuthReply reply;
  reply.set_status(ipc::AuthReply::SUCCESS);
  time_t now = time(nullptr);
  reply.set_cookie(cookies_.issue(p.auth.user, group, now, settings, p.auth.site->cfg->vhost));
  if (token_key_) reply.set_login_token(ovpn::make_login_token(*token_key_, p.auth.user, group, now));
  reply.set_username(p.auth.user);
  reply.set_group(group);
  const CookieEntry* issued = cookies_.find(reply.cookie(), now);
  report_auth(p, p.auth.user, group, true, "", issued ? issued->session_id : 0, now);
  send_auth_reply(p, reply);
}

void SecMod::finish_failure(WorkerPeer& p, const AuthStep& step) {
  ipc::AuthReply reply;
  if (step.count_failure) ++p.auth.failures;
  bool over = p.auth.failures >= kMaxAuthFailures;
  p.state = over ? PeerState::Denied : PeerState::New;
  reply.set_status(over ? ipc::AuthReply::DENIED : ipc::AuthReply::RETRY);
  // One message for every cause, so the client cannot tell unknown users from wrong passwords;
  // backends give their own only for what a right password reveals (an expired account).
  reply.set_message(step.user_message.empty() ? "Login failed." : step.user_message);
  if (step.count_failure) report_auth(p, p.auth.user, p.auth.wanted_group, false, step.reason);
  send_auth_reply(p, reply);
}

void SecMod::deny(WorkerPeer& p, const std::string& reason, const std::string& message, bool ban_points) {
  p.auth.login.reset();
  p.state = PeerState::Denied;
  ipc::AuthReply reply;
  reply.set_status(ipc::AuthReply::DENIED);
  reply.set_message(message);
  reply.set_show_message(true);
  report_auth(p, p.auth.user, p.auth.wanted_group, false, reason, 0, 0, ban_points);
  send_auth_reply(p, reply);
}

void SecMod::send_auth_reply(WorkerPeer& p, const ipc::AuthReply& r) {
  ipc::SecModToWorker env;
  *env.mutable_auth() = r;
  (void)p.channel.send(env);
}

void SecMod::report_auth(const WorkerPeer& p, const std::string& user, const std::string& group, bool ok,
                         const std::string& reason, uint64_t session_id, time_t created, bool ban_points) {
  ipc::SecModToMain ev;
  auto* e = ev.mutable_auth_event();
  e->set_worker_id(p.id);
  // Only names that pass validation are echoed into the log, so a client cannot inject lines.
  e->set_username(valid_user_name(user) ? user : "(invalid name)");
  e->set_group(group);
  e->set_success(ok);
  e->set_reason(reason);
  e->set_session_id(session_id);
  e->set_created(created);
  e->set_no_ban_points(!ban_points);
  if (p.auth.site) e->set_vhost(p.auth.site->cfg->vhost);
  (void)main_.send(ev);
}

}  // namespace sslvpn::secmod
