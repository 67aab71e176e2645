#include "sec-mod/sec_mod.hpp"

#include <ctime>

#include "common/passwd_file.hpp"
#include "common/secret_bytes.hpp"

namespace sslvpn::secmod {
namespace {

constexpr uint8_t bit(PeerState s) {
  return static_cast<uint8_t>(s);
}

constexpr WorkerRoute kWorkerRoutes[] = {
    // Signatures happen during the TLS handshake, before login, and again on rekey.
    {ipc::WorkerToSecMod::kSign, bit(PeerState::New) | bit(PeerState::Authed), &SecMod::on_sign},
    // One login per connection; retries stay in New until the failure limit.
    {ipc::WorkerToSecMod::kAuthInit, bit(PeerState::New), &SecMod::on_auth_init},
};

// How often expired cookies are dropped (and their leases freed in main).
constexpr double kPurgeInterval = 5.0;

}  // namespace

std::span<const WorkerRoute> SecMod::worker_routes() {
  return kWorkerRoutes;
}

SecMod::SecMod(struct ev_loop* loop, Logger& log, IpcChannel main_channel, Config cfg, ServerKey key)
    : loop_(loop),
      log_(log),
      main_(std::move(main_channel)),
      cfg_(std::move(cfg)),
      key_(std::move(key)),
      plain_(cfg_.plain_passwd_file()),
      cookies_(cfg_.cookie_timeout) {}

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

void SecMod::peer_cb(struct ev_loop*, ev_io* w, int) {
  auto* p = static_cast<WorkerPeer*>(w->data);
  p->owner->on_peer_readable(*p);
}

void SecMod::purge_cb(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<SecMod*>(w->data);
  std::vector<uint64_t> gone = self->cookies_.purge(time(nullptr));
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
    case ipc::MainToSecMod::kStartup:
    case ipc::MainToSecMod::MSG_NOT_SET:
      log_.error("unexpected message from main (case ", static_cast<int>(msg.msg_case()), ")");
      return;
  }
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
  peers_.erase(it);
}

// The one dispatch point for worker channels: route lookup, state check, then the handler.
void SecMod::on_peer_readable(WorkerPeer& p) {
  auto r = p.channel.recv<ipc::WorkerToSecMod>(true);
  if (!r.ok()) {
    if (r.error() == Errc::Timeout) return;
    if (r.error() == Errc::Closed) return drop_peer(p.id, "");
    return drop_peer(p.id, std::string("unreadable message: ") + errc_name(r.error()));
  }
  auto& [msg, fd] = r.value();
  if (fd.valid()) return drop_peer(p.id, "sent a file descriptor");
  for (const auto& route : kWorkerRoutes) {
    if (route.kind != msg.msg_case()) continue;
    if (!(route.legal_states & bit(p.state)))
      return drop_peer(p.id, "request " + std::to_string(route.kind) + " in state " +
                                 std::to_string(static_cast<int>(p.state)));
    uint64_t id = p.id;
    if (auto res = (this->*route.handler)(p, msg); !res)
      return drop_peer(id, std::string("request failed: ") + errc_name(res.error()));
    return;
  }
  drop_peer(p.id, "unknown request " + std::to_string(msg.msg_case()));
}

Result<void> SecMod::on_sign(WorkerPeer& p, ipc::WorkerToSecMod& m) {
  const auto& s = m.sign();
  if (++p.signs > kMaxSignsPerWorker) return Errc::Limit;
  if (s.data().size() > kMaxSignInput) return Errc::Limit;
  ipc::SecModToWorker reply;
  auto sig = key_.sign(s.kind() == ipc::SignRequest::HASH, s.algorithm(), s.flags(), s.data());
  reply.mutable_sign()->set_ok(sig.ok());
  if (sig.ok())
    reply.mutable_sign()->set_signature(std::move(sig).value());
  else
    log_.debug("worker ", p.id, ": signing failed (algorithm ", s.algorithm(), ")");
  return p.channel.send(reply);
}

Result<void> SecMod::on_auth_init(WorkerPeer& p, ipc::WorkerToSecMod& m) {
  auto* a = m.mutable_auth_init();
  std::string wanted = a->group();
  if (!cfg_.default_select_group.empty() && wanted == cfg_.default_select_group) wanted.clear();
  PlainAuthOutcome out = plain_.check(a->username(), a->password(), wanted);
  wipe_string(*a->mutable_password());

  ipc::AuthReply reply;
  if (out.ok) {
    p.state = PeerState::Authed;
    reply.set_status(ipc::AuthReply::SUCCESS);
    reply.set_cookie(cookies_.issue(a->username(), out.group, time(nullptr)));
    reply.set_username(a->username());
    reply.set_group(out.group);
    report_auth(p, a->username(), out.group, true, "");
  } else {
    ++p.failures;
    bool over = p.failures >= kMaxAuthFailures;
    if (over) p.state = PeerState::Denied;
    reply.set_status(over ? ipc::AuthReply::DENIED : ipc::AuthReply::RETRY);
    // One message for every cause, so the client cannot tell unknown users from wrong passwords.
    reply.set_message("Login failed.");
    report_auth(p, a->username(), wanted, false, out.reason);
  }
  send_auth_reply(p, reply);
  return {};
}

void SecMod::send_auth_reply(WorkerPeer& p, const ipc::AuthReply& r) {
  ipc::SecModToWorker env;
  *env.mutable_auth() = r;
  (void)p.channel.send(env);
}

void SecMod::report_auth(const WorkerPeer& p, const std::string& user, const std::string& group, bool ok,
                         const std::string& reason) {
  ipc::SecModToMain ev;
  auto* e = ev.mutable_auth_event();
  e->set_worker_id(p.id);
  // Only names that pass validation are echoed into the log, so a client cannot inject lines.
  e->set_username(valid_user_name(user) ? user : "(invalid name)");
  e->set_group(group);
  e->set_success(ok);
  e->set_reason(reason);
  (void)main_.send(ev);
}

}  // namespace sslvpn::secmod
