#include "sec-mod/sec_mod.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "common/passwd_file.hpp"
#include "common/secret_bytes.hpp"
#include "common/text.hpp"
#include "sec-mod/plain_auth.hpp"  // constant_time_equal
#include "sec-mod/radius_acct.hpp"
#include "worker/openvpn/auth_token.hpp"

namespace sslvpn::secmod {
namespace {

constexpr uint8_t bit(PeerState s) {
  return static_cast<uint8_t>(s);
}

constexpr WorkerRoute kWorkerRoutes[] = {
    // Signatures happen during the TLS handshake, before login, and again on rekey.
    {ipc::WorkerToSecMod::kSign,
     bit(PeerState::New) | bit(PeerState::Authed) | bit(PeerState::Pending) | bit(PeerState::Answering) |
         bit(PeerState::Signer),
     &SecMod::on_sign},
    // One login per connection; retries stay in New until the failure limit.
    {ipc::WorkerToSecMod::kAuthInit, bit(PeerState::New), &SecMod::on_auth_init},
    // Answers only to a form we asked: on this connection, or (New) one parked from an earlier.
    {ipc::WorkerToSecMod::kAuthContinue, bit(PeerState::Answering) | bit(PeerState::New),
     &SecMod::on_auth_continue},
    // GlobalProtect's logout.esp comes on a fresh connection, or after a login on this one.
    {ipc::WorkerToSecMod::kLogout, bit(PeerState::New) | bit(PeerState::Authed) | bit(PeerState::Denied),
     &SecMod::on_logout},
};

// How often expired cookies are dropped (and their leases freed in main).
constexpr double kPurgeInterval = 5.0;
// Messages read from one worker per wakeup of its channel.
constexpr int kPeerBatch = 8;

}  // namespace

std::span<const WorkerRoute> SecMod::worker_routes() {
  return kWorkerRoutes;
}

SecMod::SecMod(struct ev_loop* loop, Logger& log, IpcChannel main_channel, Config cfg, ServerKey key)
    : loop_(loop),
      log_(log),
      main_(std::move(main_channel)),
      cfg_(std::move(cfg)),
      keys_(KeySet::load(std::move(key), cfg_, CryptoPool::thread_count(cfg_.sec_mod_scale))),
      pool_(loop, keys_->copies(), std::max(kMaxQueuedCrypto, 64 * keys_->copies())),
      cookies_(cfg_.cookie_timeout) {
  build_auth();
}

SecMod::~SecMod() {
  ev_io_stop(loop_, &main_io_);
  ev_timer_stop(loop_, &purge_timer_);
  for (auto& [id, p] : peers_) ev_io_stop(loop_, &p->io);
}

Result<void> SecMod::start() {
  ipc::SecModToMain ready;
  ready.mutable_ready();
  if (auto r = main_.send(ready); !r) return r;
  ev_io_init(&main_io_, &SecMod::main_cb, main_.raw_fd(), EV_READ);
  main_io_.data = this;
  ev_io_start(loop_, &main_io_);
  ev_timer_init(&purge_timer_, &SecMod::purge_cb, kPurgeInterval, kPurgeInterval);
  purge_timer_.data = this;
  ev_timer_start(loop_, &purge_timer_);
  return {};
}

void SecMod::main_cb(struct ev_loop*, ev_io* w, int) {
  static_cast<SecMod*>(w->data)->on_main_readable();
}

// A few messages per wakeup, in order, before any pool result is delivered: what a worker sent
// is judged in the order it sent it (a second signature request while one is in flight is a
// violation however fast the pool is).
void SecMod::peer_cb(struct ev_loop*, ev_io* w, int) {
  auto* p = static_cast<WorkerPeer*>(w->data);
  SecMod* self = p->owner;
  uint64_t id = p->id;
  for (int i = 0; i < kPeerBatch; ++i) {
    auto it = self->peers_.find(id);
    if (it == self->peers_.end()) return;  // dropped by the last message
    if (!self->on_peer_readable(*it->second)) return;
  }
}

void SecMod::purge_cb(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<SecMod*>(w->data);
  time_t now = time(nullptr);
  for (auto it = self->parked_.begin(); it != self->parked_.end();) {
    if (it->second.expires >= now) {
      ++it;
      continue;
    }
    self->login_owner_.erase(it->first);
    it = self->parked_.erase(it);
  }
  if (self->acct_)
    if (uint64_t lost = self->acct_->take_failures())
      self->log_.warn(lost, " accounting record(s) could not be delivered to the RADIUS server");
  self->prune_retired_keys();
  std::vector<uint64_t> gone = self->cookies_.purge(now);
  for (uint64_t sid : gone) {
    ipc::SecModToMain m;
    m.mutable_session_expired()->set_session_id(sid);
    (void)self->main_.send(m);
  }
  if (!gone.empty())
    self->log_.debug("expired ", gone.size(), " cookies; ", self->cookies_.size(), " remain");
}

// The one dispatch point for the main channel.
void SecMod::on_main_readable() {
  auto r = main_.recv<ipc::MainToSecMod>(true);
  if (!r.ok()) {
    if (r.error() == Errc::Timeout) return;
    log_.info("main closed its channel (", errc_name(r.error()), "); exiting");
    ev_break(loop_, EVBREAK_ALL);
    return;
  }
  auto& [msg, fd] = r.value();
  switch (msg.msg_case()) {
    case ipc::MainToSecMod::kAttachWorker:
      if (!fd.valid()) {
        log_.error("attach_worker without a channel fd");
        return;
      }
      attach_worker(msg.attach_worker(), std::move(fd));
      return;
    case ipc::MainToSecMod::kDetachWorker:
      drop_peer(msg.detach_worker().worker_id(), "");
      return;
    case ipc::MainToSecMod::kSessionOpen:
      on_session_open(msg.session_open());
      return;
    case ipc::MainToSecMod::kSessionDetach:
      cookies_.detach(msg.session_detach().session_id(), msg.session_detach().logout(), time(nullptr));
      return;
    case ipc::MainToSecMod::kAccounting:
      if (acct_ && !acct_->submit(msg.accounting()))
        log_.warn("accounting queue full; a record for '", msg.accounting().username(), "' was dropped");
      return;
    case ipc::MainToSecMod::kReload:
      on_reload(msg.reload());
      return;
    case ipc::MainToSecMod::kStartup:
    case ipc::MainToSecMod::MSG_NOT_SET:
      log_.error("unexpected message from main (case ", static_cast<int>(msg.msg_case()), ")");
      return;
  }
}

void SecMod::on_reload(const ipc::SecModReload& m) {
  ipc::SecModToMain reply;
  Config next;
  try {
    next = parse_config(m.config_text(), m.config_path(), nullptr);
  } catch (const std::exception& e) {
    log_.error("reload: ", e.what(), "; keeping the running configuration");
    reply.mutable_reloaded()->set_keys_loaded(false);
    (void)main_.send(reply);
    return;
  }
  bool keys_loaded = false;
  try {
    // As many copies as there are threads (sec-mod-scale applies at start).
    auto old = std::exchange(keys_, KeySet::load(ServerKey::load(next.server_key, ServerKey::pin_of(next)),
                                                 next, pool_.threads()));
    retire_keys(std::move(old));
    keys_loaded = true;
  } catch (const std::exception& e) {
    log_.error("reload: ", e.what(), "; keeping the old keys (and main the certificates that match them)");
  }
  reply.mutable_reloaded()->set_keys_loaded(keys_loaded);
  (void)main_.send(reply);
  cfg_ = std::move(next);
  cookies_.set_timeout(cfg_.cookie_timeout);
  build_auth();
  log_.info("reloaded: ", cfg_.auth_chains.size(), " login method chain(s), ", cfg_.vhosts.size(),
            " virtual host(s)");
}

void SecMod::on_session_open(const ipc::SessionOpen& m) {
  ipc::SecModToMain reply;
  auto* r = reply.mutable_session_open_reply();
  r->set_worker_id(m.worker_id());
  const CookieEntry* e = cookies_.open(m.cookie(), time(nullptr));
  r->set_ok(e != nullptr);
  if (e != nullptr) {
    r->set_session_id(e->session_id);
    r->set_username(e->user);
    r->set_group(e->group);
    r->set_vhost(e->vhost);
    *r->mutable_settings() = e->settings;
  }
  (void)main_.send(reply);
}

void SecMod::attach_worker(const ipc::AttachWorker& m, UniqueFd fd) {
  if (peers_.count(m.worker_id())) {
    log_.error("worker id ", m.worker_id(), " attached twice");
    return;
  }
  auto p = std::make_unique<WorkerPeer>();
  p->owner = this;
  p->id = m.worker_id();
  p->client_ip = m.client_ip();
  p->attached_at = ev_now(loop_);
  if (m.signer_only()) {
    p->state = PeerState::Signer;
    p->signs = SignBudget(time(nullptr), kSignerBurst, kSignerRefillSeconds);
  }
  p->channel = IpcChannel(std::move(fd));
  ev_io_init(&p->io, &SecMod::peer_cb, p->channel.raw_fd(), EV_READ);
  p->io.data = p.get();
  ev_io_start(loop_, &p->io);
  peers_.emplace(p->id, std::move(p));
}

void SecMod::drop_peer(uint64_t id, const std::string& violation) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  if (!violation.empty()) {
    log_.error("worker ", id, " (", it->second->client_ip, "): ", violation, "; killing it");
    ipc::SecModToMain v;
    v.mutable_violation()->set_worker_id(id);
    v.mutable_violation()->set_reason(violation);
    (void)main_.send(v);
  }
  ev_io_stop(loop_, &it->second->io);
  if (violation.empty() && it->second->state == PeerState::Answering) park(*it->second);
  if (!it->second->auth.context.empty()) {
    auto o = login_owner_.find(it->second->auth.context);
    if (o != login_owner_.end() && o->second == id) login_owner_.erase(o);
  }
  peers_.erase(it);
}

void SecMod::park(WorkerPeer& p) {
  if (parked_.size() >= kMaxParkedLogins) {
    auto oldest = parked_.begin();
    for (auto i = parked_.begin(); i != parked_.end(); ++i)
      if (i->second.expires < oldest->second.expires) oldest = i;
    login_owner_.erase(oldest->first);
    parked_.erase(oldest);
  }
  std::string ctx = p.auth.context;
  ParkedLogin& pl = parked_[ctx];
  pl.auth = std::move(p.auth);
  pl.client_ip = p.client_ip;
  pl.expires = time(nullptr) + cfg_.auth_timeout;
  login_owner_[ctx] = 0;
  p.auth = LoginState{};
}

bool SecMod::resume_parked(WorkerPeer& p, const ipc::AuthContinue& m) {
  auto it = parked_.find(m.context());
  if (it == parked_.end()) {
    // The connection that asked the question may still be open: an OpenVPN client reconnects
    // with its answer (CRV1) while the worker that asked still waits for the question to be
    // acknowledged. Its login is parked now, and taken over under the same conditions.
    auto o = login_owner_.find(m.context());
    if (o == login_owner_.end() || o->second == 0 || o->second == p.id) return false;
    auto q = peers_.find(o->second);
    if (q == peers_.end() || q->second->state != PeerState::Answering || q->second->client_ip != p.client_ip)
      return false;
    park(*q->second);
    q->second->state = PeerState::New;  // its login moved: it may only start another
    it = parked_.find(m.context());
    if (it == parked_.end()) return false;
  }
  if (it->second.expires < time(nullptr)) return false;
  ParkedLogin& pl = it->second;
  // Only the same client address, showing the same certificate, may take it over.
  if (pl.client_ip != p.client_ip) return false;
  if (!pl.auth.cert_leaf.empty() &&
      (m.client_cert_der_size() == 0 || !constant_time_equal(m.client_cert_der(0), pl.auth.cert_leaf)))
    return false;
  p.auth = std::move(pl.auth);
  parked_.erase(it);
  login_owner_[p.auth.context] = p.id;
  p.state = PeerState::Answering;
  return true;
}

// The one dispatch point for worker channels: route lookup, state check, then the handler.
// One message from a worker, through the route table. false: nothing more to read now, or the
// peer was dropped.
bool SecMod::on_peer_readable(WorkerPeer& p) {
  auto r = p.channel.recv<ipc::WorkerToSecMod>(true);
  if (!r.ok()) {
    if (r.error() == Errc::Closed)
      drop_peer(p.id, "");
    else if (r.error() != Errc::Timeout)
      drop_peer(p.id, std::string("unreadable message: ") + errc_name(r.error()));
    return false;
  }
  auto& [msg, fd] = r.value();
  if (fd.valid()) {
    drop_peer(p.id, "sent a file descriptor");
    return false;
  }
  for (const auto& route : kWorkerRoutes) {
    if (route.kind != msg.msg_case()) continue;
    if (!(route.legal_states & bit(p.state))) {
      drop_peer(p.id, "request " + std::to_string(route.kind) + " in state " +
                          std::to_string(static_cast<int>(p.state)));
      return false;
    }
    uint64_t id = p.id;
    if (auto res = (this->*route.handler)(p, msg); !res) {
      drop_peer(id, std::string("request failed: ") + errc_name(res.error()));
      return false;
    }
    return true;  // (the handler may have dropped the peer: the caller looks it up again)
  }
  drop_peer(p.id, "unknown request " + std::to_string(msg.msg_case()));
  return false;
}

std::optional<size_t> SecMod::certificate_only_chain(const Site& site) const {
  const auto& chains = site.cfg->auth_chains;
  for (size_t i = 0; i < chains.size(); ++i)
    if (chains[i].certificate && !chains[i].password) return i;
  return std::nullopt;
}

// The first chain a password login by `user` can take: one without a certificate, or one that
// also needs the certificate the client showed, issued to this very user.
std::optional<size_t> SecMod::password_chain(const WorkerPeer& p, const std::string& user) const {
  const auto& chains = p.auth.site->cfg->auth_chains;
  for (size_t i = 0; i < chains.size(); ++i) {
    const AuthChain& c = chains[i];
    if (!c.password) continue;
    if (!c.certificate) return i;
    if (p.auth.cert && p.auth.cert->ok && p.auth.cert->user == user) return i;
  }
  return std::nullopt;
}

Result<void> SecMod::on_auth_init(WorkerPeer& p, ipc::WorkerToSecMod& m) {
  auto* a = m.mutable_auth_init();
  if (a->cookie_check()) return check_cookie(p, *a);  // a profile download: no login at all
  // The host is the client's choice (its TLS server name), as is the login it tries there; a
  // worker that names another host gets that host's methods, nothing more.
  if (!p.auth.site || p.auth.site->cfg->vhost != a->vhost()) {
    p.auth.site = site_for(a->vhost());
    p.auth.cert.reset();
    p.auth.cert_leaf.clear();
  }
  Site& site = *p.auth.site;
  const Config& cfg = *site.cfg;
  p.auth.wanted_group = a->group();
  if (!cfg.default_select_group.empty() && p.auth.wanted_group == cfg.default_select_group)
    p.auth.wanted_group.clear();
  if (a->client_cert_der_size() > 0 && site.cert && !p.auth.cert) {
    std::vector<std::string> chain(a->client_cert_der().begin(), a->client_cert_der().end());
    p.auth.cert = site.cert->verify(chain);
    p.auth.cert_leaf = chain.front();
    if (!p.auth.cert->ok) log_.info("worker ", p.id, " (", p.client_ip, "): ", p.auth.cert->reason);
  }
  bool cert_ok = p.auth.cert && p.auth.cert->ok;
  if (!a->prior_cookie().empty() && login_with_cookie(p, *a)) return {};

  if (!a->has_password()) {  // the certificate-first request, before any form
    if (cert_ok) {
      if (auto c = certificate_only_chain(site)) {
        p.auth.chain = *c;
        p.auth.user = p.auth.cert->user;
        std::vector<std::string> groups;
        if (!p.auth.cert->group.empty()) groups.push_back(p.auth.cert->group);
        finish_success(p, std::move(groups));
        return {};
      }
      if (auto c = password_chain(p, p.auth.cert->user)) {
        std::string none;
        start_password(p, *c, p.auth.cert->user, none, false);
        return {};
      }
    }
    if (cfg.cert_login_mode() == 2) {
      deny(p, p.auth.cert ? p.auth.cert->reason : "no client certificate",
           "A valid client certificate is required to log in.");
      return {};
    }
    ipc::AuthReply reply;  // the usual username/password form; nothing was tried yet
    reply.set_status(ipc::AuthReply::RETRY);
    send_auth_reply(p, reply);
    return {};
  }

  auto c = password_chain(p, a->username());
  if (!c) {
    wipe_string(*a->mutable_password());
    if (cfg.cert_login_mode() == 2) {
      deny(p, cert_ok ? "user name differs from the certificate's" : "no valid client certificate",
           "A valid client certificate is required to log in.");
      return {};
    }
    p.auth.user = a->username();
    finish_failure(p, AuthStep::failure("user name differs from the certificate's"));
    return {};
  }
  start_password(p, *c, a->username(), *a->mutable_password(), true);
  return {};
}

Result<void> SecMod::on_auth_continue(WorkerPeer& p, ipc::WorkerToSecMod& m) {
  if (p.state == PeerState::New && !resume_parked(p, m.auth_continue())) {
    for (auto& a : *m.mutable_auth_continue()->mutable_answers()) wipe_string(*a.mutable_value());
    ipc::AuthReply reply;  // an old or foreign context: start again from the first form
    reply.set_status(ipc::AuthReply::RETRY);
    reply.set_message("Your login took too long; please log in again.");
    send_auth_reply(p, reply);
    return {};
  }
  if (!p.auth.login) return Errc::State;
  std::vector<Answer> answers;
  for (auto& a : *m.mutable_auth_continue()->mutable_answers()) {
    answers.push_back({a.name(), a.value()});
    wipe_string(*a.mutable_value());
  }
  p.state = PeerState::Pending;
  std::string ctx = p.auth.context;
  std::optional<AuthStep> step = p.auth.login->answer(answers);
  for (auto& a : answers) wipe_string(a.value);
  if (step) on_step(ctx, std::move(*step));
  return {};
}

}  // namespace sslvpn::secmod
