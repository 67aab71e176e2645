// Server: starting workers. A worker is forked by the zygote (a pre-initialized worker image)
// or, if there is none or it fails, spawned on its own. Main never waits on the zygote: spawn
// requests are queued without blocking and its answers are read from the event loop; a zygote
// that leaves requests unanswered for kZygoteDeadline is killed, and workers start without it.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>

#include <sys/socket.h>

#include <gnutls/crypto.h>

#include <algorithm>
#include <cerrno>

#include "main/server.hpp"
#include "main/spawn.hpp"

namespace sslvpn::mainproc {
namespace {

constexpr int kWorkerMainFd = 3, kWorkerSecModFd = 4, kWorkerClientFd = 5;
// Backstop beyond auth-timeout: a worker that has not finished by then is killed by main.
constexpr double kAuthTimeoutGrace = 5.0;
// The zygote only forks: it answers within milliseconds unless it is stuck.
constexpr double kZygoteDeadline = 2.0;
// A worker that exits before the zygote's answer names it is remembered this long.
constexpr double kEarlyExitMemory = 10.0;
constexpr size_t kMaxEarlyExits = 256;

}  // namespace

// GnuTLS's ticket key for the connections from `ip`: HMAC-SHA256 of the address under main's
// ticket secret, twice (64 bytes). A ticket says nothing about a login (the cookie does), and
// a worker gets only the key of its own client's address.
std::string Server::ticket_key_for(const std::string& ip) const {
  std::string key;
  for (uint8_t block = 1; block <= 2; ++block) {
    std::string msg = "sslvpnd tls ticket " + ip + '\0' + static_cast<char>(block);
    uint8_t out[32];
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, ticket_secret_.data(), ticket_secret_.size(), msg.data(),
                         msg.size(), out) != 0)
      return {};
    key.append(reinterpret_cast<const char*>(out), sizeof out);
  }
  return key;
}

namespace {

// A host's AnyConnect login page: its group list and banners.
void fill_login_page(const Config& c, ipc::AnyConnectStartup* ac) {
  for (const auto& g : c.select_groups) {
    auto* gc = ac->add_groups();
    gc->set_name(g.name);
    gc->set_label(g.label);
  }
  ac->set_default_group_label(c.default_select_group);
  ac->set_banner(c.banner);
  ac->set_pre_login_banner(c.pre_login_banner);
  for (const auto& h : c.included_http_headers) ac->add_http_headers(h);
  for (const auto& h : c.custom_headers) ac->add_custom_headers(h);
  ac->set_select_group_by_url(c.group_by_url());
  if (!c.user_profile_xml.empty()) {
    ac->set_profile_name(c.user_profile_name);
    ac->set_profile_xml(c.user_profile_xml);
    ac->set_profile_sha1(c.user_profile_sha1);
  }
  if (c.camouflage) {
    // No secret: nothing passes (a line feed is in no request line), as in ocserv.
    ac->set_camouflage_secret(c.camouflage_secret.empty() ? std::string("\n") : c.camouflage_secret);
    ac->set_camouflage_realm(c.camouflage_realm);
  }
}

}  // namespace

namespace {

// WorkerStartup and VirtualHostStartup name their certificate fields alike.
template <typename Startup>
void set_certs(const HostCerts& h, Startup* m) {
  m->set_cert_chain_pem(h.chain_pem);
  for (const auto& c : h.more_chains) m->add_more_cert_chains(c);
  m->set_ocsp_response(h.ocsp_response);
}

}  // namespace

void set_startup_certs(const HostCerts& h, ipc::WorkerStartup* st) {
  set_certs(h, st);
}
void set_startup_certs(const HostCerts& h, ipc::VirtualHostStartup* vhost) {
  set_certs(h, vhost);
}

void fill_https_startup(const Config& c, std::span<const HostCerts> vhost_certs, ipc::WorkerStartup& st) {
  fill_login_page(c, st.mutable_https()->mutable_anyconnect());
  for (size_t i = 0; i < c.vhosts.size() && i < vhost_certs.size(); ++i) {
    const Config& vc = *c.vhosts[i].config;
    auto* v = st.add_vhosts();
    v->set_name(vc.vhost);
    set_startup_certs(vhost_certs[i], v);
    v->set_tls_priorities(vc.tls_priorities);
    v->set_cert_login(vc.cert_login_mode());
    fill_login_page(vc, v->mutable_anyconnect());
  }
  if (c.globalprotect) {
    auto* gp = st.mutable_https()->mutable_globalprotect();
    gp->set_portal(c.gp_portal);
    for (const auto& g : c.gp_portal_gateways) gp->add_gateways(g);
    gp->set_hip_report(c.gp_hip_report);
    gp->set_portal_name(c.gp_portal_name);
    gp->set_server_name(c.listen_host);
  }
}

ipc::WorkerStartup Server::worker_startup(const WorkerProc& w) const {
  const Config& c = cfg();
  ipc::WorkerStartup st;
  st.set_worker_id(w.id);
  st.set_client_ip(w.client_ip);
  st.set_client_port(w.client_port);
  st.set_local_ip(w.local_ip);
  st.set_uid(s_.identity.uid);
  st.set_gid(s_.identity.gid);
  st.set_chroot_dir(c.chroot_dir);
  st.set_seccomp(c.isolate_workers);
  set_startup_certs(s_.certs, &st);
  st.set_tls_priorities(c.tls_priorities);
  st.set_tls_ticket_key(ticket_key_for(w.client_ip));
  st.set_tls_ticket_lifetime_s(std::max<uint32_t>(c.cookie_timeout, 60));
  st.set_auth_timeout_s(c.auth_timeout);
  st.set_cert_login(c.cert_login_mode());
  switch (w.service) {
    case TcpService::Https:  // the HTTPS front: the settings of each protocol it serves
      fill_https_startup(c, s_.vhost_certs, st);
      break;
    case TcpService::OpenVpnTcp:
    case TcpService::OpenVpnUdp:
      fill_openvpn_startup(w, st);
      break;
  }
  st.set_log_level(s_.log_level);
  return st;
}

uint64_t Server::spawn_worker(UniqueFd client, const std::string& ip, uint16_t port, TcpService service,
                              std::optional<OvpnUdpStart> ovpn, const std::string& local_ip) {
  auto to_worker = make_ipc_pair();
  auto worker_secmod = make_ipc_pair();
  if (!to_worker.ok() || !worker_secmod.ok()) {
    if (const int e = errno; e == EMFILE || e == ENFILE) {
      pause_accepting_for_descriptors(e);  // the next ones wait in the backlog meanwhile
      log_.debug("no descriptor for a worker; dropping ", ip);
    } else {
      log_.error("socketpair failed; dropping ", ip);
    }
    return 0;
  }
  PendingSpawn p;
  p.w = std::make_unique<WorkerProc>();
  p.w->owner = this;
  p.w->id = next_worker_id(next_worker_id_, [&](uint32_t peer) { return id_by_peer_id_.count(peer) != 0; });
  p.w->client_ip = ip;
  p.w->client_port = port;
  p.w->service = service;
  p.w->ovpn_udp = std::move(ovpn);
  if (p.w->ovpn_udp && service == TcpService::OpenVpnUdp) {
    p.w->ovpn_peer = ip + "|" + std::to_string(port);
    p.w->ovpn_socket = UniqueFd(::fcntl(client.get(), F_DUPFD_CLOEXEC, 0));
  }
  sockaddr_storage local{};
  socklen_t local_len = sizeof local;
  uint16_t local_port = 0;
  if (!local_ip.empty())
    p.w->local_ip = local_ip;  // what the PROXY header named
  else if (::getsockname(client.get(), reinterpret_cast<sockaddr*>(&local), &local_len) == 0)
    p.w->local_ip = address_text(local, &local_port);  // IP_REAL_LOCAL for the scripts
  ipc::MainToSecMod attach;
  attach.mutable_attach_worker()->set_worker_id(p.w->id);
  attach.mutable_attach_worker()->set_client_ip(ip);
  attach.mutable_attach_worker()->set_client_port(port);
  if (!secmod_out_.send(attach, worker_secmod->second.get())) {
    log_.error("cannot reach sec-mod; dropping ", ip);
    return 0;
  }
  p.main_end = std::move(to_worker->first);
  p.fds = {std::move(to_worker->second), std::move(worker_secmod->first), std::move(client)};
  uint64_t id = p.w->id;
  if (zygote_.valid() && ask_zygote(p)) {
    pending_spawns_.emplace(id, std::move(p));
    return id;
  }
  return spawn_direct(std::move(p)) ? id : 0;
}

bool Server::ask_zygote(const PendingSpawn& p) {
  // Under a burst of connections the zygote's socket fills: requests wait in main's queue (each
  // request's three parts stay in order). Past the queue's half, new connections start on
  // their own instead.
  if (zygote_out_.queued_bytes() > kMaxQueuedToZygote / 2) return false;
  for (uint32_t part = 0; part < p.fds.size(); ++part) {
    ipc::MainToZygote m;
    m.mutable_spawn()->set_worker_id(p.w->id);
    m.mutable_spawn()->set_part(part);
    if (!zygote_out_.send(m, p.fds[part].get())) {
      // A broken channel, with a request perhaps half-way: the zygote cannot be trusted to stay
      // in step. It goes; this and later workers start on their own.
      zygote_failed("its channel failed");
      return false;
    }
  }
  if (pending_spawns_.empty()) zygote_progress_ = ev_now(loop_);
  return true;
}

bool Server::spawn_direct(PendingSpawn p) {
  auto pid = spawn_helper(helper_path("sslvpnd-worker"), {"sslvpnd-worker"},
                          {{p.fds[0].get(), kWorkerMainFd},
                           {p.fds[1].get(), kWorkerSecModFd},
                           {p.fds[2].get(), kWorkerClientFd}});
  if (!pid.ok()) {
    log_.error("cannot start a worker for ", p.w->client_ip);
    forget_spawn(*p.w);
    return false;
  }
  finish_spawn(std::move(p), *pid);
  return true;
}

void Server::forget_spawn(const WorkerProc& w) {
  admission_.release(w.id);
  ipc::MainToSecMod detach;
  detach.mutable_detach_worker()->set_worker_id(w.id);
  (void)secmod_out_.send(detach);
}

void Server::finish_spawn(PendingSpawn p, pid_t pid) {
  std::unique_ptr<WorkerProc> w = std::move(p.w);
  w->pid = pid;
  w->channel = IpcChannel(std::move(p.main_end));
  w->out.emplace(loop_, w->channel, kMaxQueuedToWorker);
  ipc::MainToWorker startup;
  *startup.mutable_startup() = worker_startup(*w);
  if (!send_to_worker(*w, startup)) log_.error("cannot send startup data to worker ", w->pid);
  ev_io_init(&w->io, &Server::worker_cb, w->channel.raw_fd(), EV_READ);
  w->io.data = w.get();
  ev_io_start(loop_, &w->io);
  ev_timer_init(&w->auth_timer, &Server::worker_timeout_cb, cfg().auth_timeout + kAuthTimeoutGrace, 0.);
  w->auth_timer.data = w.get();
  ev_timer_start(loop_, &w->auth_timer);
  log_.debug("worker ", w->pid, " (id ", w->id, ") serves ", w->client_ip, ":", w->client_port);
  pid_by_id_[w->id] = w->pid;
  id_by_peer_id_[peer_id_of(w->id)] = w->id;
  workers_.emplace(w->pid, std::move(w));
  // Our copies of the worker's ends (p.fds) close here.
}

void Server::start_zygote() {
  // Workers the zygote forks are orphaned on purpose (see worker/zygote.hpp): as a subreaper,
  // main inherits and reaps them like the workers it starts itself.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return;
  auto pair = make_ipc_pair();
  if (!pair.ok()) return;
  // LD_BIND_NOW: the loader binds every library's symbols once, in the zygote. Debian links
  // most libraries lazily, so without it each forked worker resolved the same symbols again on
  // first call, writing (and copying) GOT pages as it went: a few hundred microseconds a login.
  auto pid = spawn_helper(helper_path("sslvpnd-worker"), {"sslvpnd-worker", "--zygote"},
                          {{pair->second.get(), kWorkerMainFd}}, {"LD_BIND_NOW=1"});
  if (!pid.ok()) {
    log_.warn("cannot start the worker zygote; starting each worker on its own");
    return;
  }
  zygote_pid_ = *pid;
  zygote_ = IpcChannel(std::move(pair->first));
  ev_io_init(&zygote_io_, &Server::zygote_cb, zygote_.raw_fd(), EV_READ);
  zygote_io_.data = this;
  ev_io_start(loop_, &zygote_io_);
  ev_timer_init(&zygote_timer_, &Server::zygote_timer_cb, 1.0, 1.0);
  zygote_timer_.data = this;
  ev_timer_start(loop_, &zygote_timer_);
  send_zygote_cert_chains();
}

void Server::send_zygote_cert_chains() {
  if (!zygote_.valid()) return;
  // Several messages when the chains are many (each stays well under kMaxIpcMessage); a chain
  // too large for one is left to the workers to parse.
  constexpr size_t kBudget = kMaxIpcMessage / 2;
  std::vector<const std::string*> chains;
  auto add = [&chains](const HostCerts& h) {
    chains.push_back(&h.chain_pem);
    for (const auto& c : h.more_chains) chains.push_back(&c);
  };
  add(s_.certs);
  for (const auto& h : s_.vhost_certs) add(h);
  ipc::MainToZygote m;
  m.mutable_cert_chains()->set_reset(true);
  m.mutable_cert_chains()->add_priorities(cfg().tls_priorities);  // the zygote drops repeats
  for (const auto& v : cfg().vhosts) m.mutable_cert_chains()->add_priorities(v.config->tls_priorities);
  size_t bytes = 0;
  for (const std::string* c : chains) {
    if (c->size() > kBudget) continue;
    if (bytes + c->size() > kBudget) {
      if (!zygote_out_.send(m)) return zygote_failed("its channel failed");
      m.mutable_cert_chains()->Clear();
      bytes = 0;
    }
    m.mutable_cert_chains()->add_pem(*c);
    bytes += c->size();
  }
  if (!zygote_out_.send(m)) zygote_failed("its channel failed");
}

void Server::zygote_cb(struct ev_loop*, ev_io* w, int) {
  static_cast<Server*>(w->data)->on_zygote_readable();
}

void Server::zygote_timer_cb(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<Server*>(w->data);
  double now = ev_now(self->loop_);
  // Stuck: requests wait and no answer came for kZygoteDeadline (a burst is fine while the
  // answers keep coming).
  if (!self->pending_spawns_.empty() && now - self->zygote_progress_ > kZygoteDeadline)
    return self->zygote_failed("it did not answer in time");
  while (!self->early_exits_.empty() && now - self->early_exits_.front().at > kEarlyExitMemory)
    self->early_exits_.pop_front();
}

void Server::on_zygote_readable() {
  for (int i = 0; i < 64 && zygote_.valid(); ++i) {  // bounded per wake-up
    auto r = zygote_.recv<ipc::ZygoteToMain>(true);
    if (!r.ok()) {
      if (r.error() != Errc::Timeout) zygote_failed("its channel closed");
      return;
    }
    const auto& m = r->first;
    auto it = m.msg_case() == ipc::ZygoteToMain::kSpawned ? pending_spawns_.find(m.spawned().worker_id())
                                                          : pending_spawns_.end();
    if (it == pending_spawns_.end() || r->second.valid()) return zygote_failed("it answered out of turn");
    PendingSpawn p = std::move(it->second);
    pending_spawns_.erase(it);
    zygote_progress_ = ev_now(loop_);
    pid_t pid = m.spawned().pid();
    if (pid <= 0) {
      log_.warn("the worker zygote could not fork; starting the worker on its own");
      (void)spawn_direct(std::move(p));  // on failure its slot was given back (forget_spawn)
      continue;
    }
    // The worker may have died and been reaped (main is its subreaper) before this answer.
    bool gone = false;
    for (const auto& e : early_exits_) gone = gone || e.pid == pid;
    if (gone) {
      log_.debug("worker ", pid, " exited before it was registered");
      forget_spawn(*p.w);
      continue;
    }
    finish_spawn(std::move(p), pid);
  }
}

void Server::zygote_failed(const char* why) {
  if (!zygote_.valid()) return;
  log_.error("the worker zygote failed (", why, "); starting each worker on its own");
  ev_io_stop(loop_, &zygote_io_);
  ev_timer_stop(loop_, &zygote_timer_);
  zygote_out_.reset();
  zygote_.close();
  if (zygote_pid_ > 0) ::kill(zygote_pid_, SIGKILL);
  // Connections it was asked to serve are dropped (their clients connect again): it may have
  // forked workers for them that hold the same sockets. Such a worker gets end-of-file
  // instead of its startup data once main's end closes here, and exits.
  if (!pending_spawns_.empty())
    log_.warn("dropping ", pending_spawns_.size(), " connection(s) that waited for the zygote");
  for (auto& [id, p] : pending_spawns_) forget_spawn(*p.w);
  pending_spawns_.clear();
}

void Server::note_early_exit(pid_t pid) {
  if (early_exits_.size() >= kMaxEarlyExits) early_exits_.pop_front();
  early_exits_.push_back({pid, ev_now(loop_)});
}

}  // namespace sslvpn::mainproc
