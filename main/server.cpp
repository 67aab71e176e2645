#include "main/server.hpp"
#include "common/text.hpp"

#include "main/settings_loader.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "main/control_socket.hpp"
#include "main/listener.hpp"
#include "main/spawn.hpp"

namespace sslvpn::mainproc {

// A worker log line longer than this is a violation (the worker cuts at 2048).
constexpr size_t kMaxWorkerLogLine = 2048;
// A GlobalProtect HIP report kept per tunnel (PAN's are a few kB; the worker bounds them too).
constexpr size_t kMaxHipReport = 65536;

std::string sanitize_log_text(const std::string& in) {
  return replace_control_chars(in, '?');
}

namespace {

constexpr int kSecModMainFd = 3;
}  // namespace

Server::Server(struct ev_loop* loop, Logger& log, ServerSettings settings, std::vector<TcpListener> listeners,
               std::unique_ptr<NetnsSockets> netns)
    : loop_(loop),
      log_(log),
      s_(std::move(settings)),
      sessions_(s_.config),
      listeners_(std::move(listeners)),
      netns_(std::move(netns)),
      bans_(BanSettings{cfg().max_ban_score, cfg().ban_time, cfg().ban_reset_time}) {
  if (gnutls_rnd(GNUTLS_RND_KEY, ticket_secret_.data(), ticket_secret_.size()) != 0)
    throw std::runtime_error("cannot make the TLS ticket secret");
  keys_certs_ = current_certs();  // sec-mod loads the keys of these, or does not start
}

Server::~Server() {
  control_.reset();
  for (auto& io : accept_io_) ev_io_stop(loop_, &io);
  ev_timer_stop(loop_, &accept_pause_);
  ev_timer_stop(loop_, &drain_timer_);
  for (auto& l : udp_listeners_) ev_io_stop(loop_, &l->io);
  ev_io_stop(loop_, &secmod_io_);
  ev_child_stop(loop_, &child_w_);
  ev_signal_stop(loop_, &sig_term_);
  ev_signal_stop(loop_, &sig_int_);
  ev_signal_stop(loop_, &sig_hup_);
  ev_timer_stop(loop_, &housekeeping_);
  ev_timer_stop(loop_, &status_timer_);
  ev_io_stop(loop_, &collector_io_);
  ev_timer_stop(loop_, &collector_restart_);
  ev_timer_stop(loop_, &collector_query_timer_);
  ev_timer_stop(loop_, &admission_timer_);
  ev_timer_stop(loop_, &acct_timer_);
  ev_io_stop(loop_, &zygote_io_);
  ev_timer_stop(loop_, &zygote_timer_);
  for (auto& [pid, w] : workers_) {
    ev_io_stop(loop_, &w->io);
    ev_timer_stop(loop_, &w->auth_timer);
  }
}

void Server::start() {
  ev_child_init(&child_w_, &Server::child_cb, 0, 0);
  child_w_.data = this;
  ev_child_start(loop_, &child_w_);
  for (auto* sig : {&sig_term_, &sig_int_, &sig_hup_}) sig->data = this;
  ev_signal_init(&sig_term_, &Server::signal_cb, SIGTERM);
  ev_signal_init(&sig_int_, &Server::signal_cb, SIGINT);
  ev_signal_init(&sig_hup_, &Server::signal_cb, SIGHUP);
  ev_signal_start(loop_, &sig_term_);
  ev_signal_start(loop_, &sig_int_);
  ev_signal_start(loop_, &sig_hup_);
  ::signal(SIGPIPE, SIG_IGN);
  end_stale_utmp();

  auto pair = make_ipc_pair();
  if (!pair.ok()) throw std::runtime_error("socketpair for sec-mod failed");
  auto pid =
      spawn_helper(helper_path("sslvpnd-secmod"), {"sslvpnd-secmod"}, {{pair->second.get(), kSecModMainFd}});
  if (!pid.ok()) throw std::runtime_error("cannot start " + helper_path("sslvpnd-secmod"));
  secmod_pid_ = *pid;
  // Our copy of sec-mod's end closes now: if sec-mod dies before it is ready (a key it cannot
  // load), the wait below sees the channel close instead of waiting for ever.
  pair->second.reset();
  secmod_ = IpcChannel(std::move(pair->first));
  ipc::MainToSecMod st;
  st.mutable_startup()->set_config_path(s_.config_path);
  st.mutable_startup()->set_config_text(s_.config_text);
  st.mutable_startup()->set_log_level(s_.log_level);
  st.mutable_startup()->set_use_syslog(s_.use_syslog);
  if (!secmod_out_.send(st)) throw std::runtime_error("cannot send the configuration to sec-mod");
  start_zygote();
  // The one synchronous wait: at startup, before any client exists.
  auto ready = secmod_.recv<ipc::SecModToMain>(false);
  if (!ready.ok() || ready->first.msg_case() != ipc::SecModToMain::kReady)
    throw std::runtime_error("sec-mod failed to start (see its message above)");
  ev_io_init(&secmod_io_, &Server::secmod_cb, secmod_.raw_fd(), EV_READ);
  secmod_io_.data = this;
  ev_io_start(loop_, &secmod_io_);

  accept_io_.resize(listeners_.size());
  for (size_t i = 0; i < listeners_.size(); ++i) {
    ev_io_init(&accept_io_[i], &Server::accept_cb, listeners_[i].fd.get(), EV_READ);
    accept_io_[i].data = this;
    ev_io_start(loop_, &accept_io_[i]);
  }
  ev_init(&accept_pause_, &Server::accept_resume_cb);
  accept_pause_.data = this;
  admission_.set_limits(admission_limits());
  ev_timer_init(&admission_timer_, &Server::admission_cb, 0.25, 0.25);
  admission_timer_.data = this;
  ev_timer_start(loop_, &admission_timer_);
  ev_timer_init(&housekeeping_, &Server::housekeeping_cb, 60., 60.);
  housekeeping_.data = this;
  ev_timer_start(loop_, &housekeeping_);
  ev_init(&status_timer_, &Server::status_cb);
  status_timer_.data = this;
  start_status_timer();
  open_management();
  if (cfg().acct) {
    ev_timer_init(&acct_timer_, &Server::acct_cb, kAcctTick, kAcctTick);
    acct_timer_.data = this;
    ev_timer_start(loop_, &acct_timer_);
  }
  start_udp();
  open_collector();
  if (cfg().use_occtl)
    control_ = std::make_unique<ControlSocket>(
        loop_, log_, cfg().occtl_socket_file,
        [this](const ctl::CtlRequest& r, uint64_t token) { return on_ctl(r, token); });
  if (cfg().tcp_port != 0)
    log_.info("sslvpnd ", SSLVPND_VERSION, " listening on TCP port ", cfg().tcp_port);
  else
    log_.info("sslvpnd ", SSLVPND_VERSION, " serving OpenVPN only (tcp-port = 0)");
}

void Server::accept_cb(struct ev_loop*, ev_io* w, int) {
  static_cast<Server*>(w->data)->on_accept(w->fd);
}
void Server::secmod_cb(struct ev_loop*, ev_io* w, int) {
  static_cast<Server*>(w->data)->on_secmod_readable();
}
void Server::worker_cb(struct ev_loop*, ev_io* w, int) {
  auto* wp = static_cast<WorkerProc*>(w->data);
  wp->owner->on_worker_readable(*wp);
}
void Server::worker_timeout_cb(struct ev_loop*, ev_timer* t, int) {
  auto* wp = static_cast<WorkerProc*>(t->data);
  wp->owner->kill_worker(*wp, "auth-timeout passed");
}
void Server::child_cb(struct ev_loop*, ev_child* w, int) {
  static_cast<Server*>(w->data)->on_child_exit(w->rpid, w->rstatus);
}
void Server::signal_cb(struct ev_loop*, ev_signal* w, int) {
  auto* self = static_cast<Server*>(w->data);
  if (w->signum == SIGHUP) {
    std::string error;
    std::vector<std::string> notes;
    if (!self->reload(&error, &notes))
      self->log_.error("SIGHUP: the new configuration was refused, the running one stays: ", error);
    return;
  }
  uint32_t drain = self->cfg().server_drain_ms;
  if (drain == 0 || self->draining_) {  // a second signal while draining: now
    self->log_.info("received signal ", w->signum, "; shutting down");
    return self->shutdown(0);
  }
  self->start_drain(drain);
}

// server-drain-ms (ocserv's): the TCP ports close at once, so a load balancer's health probe
// sees this server go, while connected clients keep their tunnels for the drain time; then
// the server stops as it would have.
void Server::start_drain(uint32_t ms) {
  draining_ = true;
  log_.info("termination request received; stopping new connections and waiting ", ms, " ms");
  ev_timer_stop(loop_, &accept_pause_);
  for (auto& io : accept_io_) ev_io_stop(loop_, &io);
  accept_io_.clear();
  listeners_.clear();  // closes the listening sockets
  admission_.close_waiting();
  ev_timer_init(&drain_timer_, &Server::drain_cb, ms / 1000.0, 0.);
  drain_timer_.data = this;
  ev_timer_start(loop_, &drain_timer_);
}

void Server::drain_cb(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<Server*>(w->data);
  self->log_.info("server-drain-ms passed; shutting down");
  self->shutdown(0);
}

void Server::housekeeping_cb(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<Server*>(w->data);
  time_t now = time(nullptr);
  self->bans_.expire(now);
  self->expire_openvpn_peers();
  // server-stats-reset-time: show status's totals start again from zero (ocserv's).
  uint32_t every = self->cfg().server_stats_reset_time;
  if (every != 0 && now - self->stats_reset_at_ >= static_cast<time_t>(every)) {
    self->stats_reset_at_ = now;
    self->total_tunnels_ = 0;
    self->auth_failures_ = 0;
    self->closed_rx_ = 0;
    self->closed_tx_ = 0;
  }
}

// Interim accounting updates: a tunnel's record is due every acct_interval seconds, whether or
// not traffic moved (the worker reports counters only when they change).
void Server::acct_cb(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<Server*>(w->data);
  time_t now = time(nullptr);
  for (auto& [pid, wp] : self->workers_) {
    WorkerProc& t = *wp;
    if (t.phase == WorkerPhase::Tunnel && t.acct_interval != 0 &&
        now - t.last_acct >= static_cast<time_t>(t.acct_interval))
      self->send_accounting(t, ipc::AccountingRecord::INTERIM);
  }
}

void Server::accept_resume_cb(struct ev_loop* loop, ev_timer* w, int) {
  auto* self = static_cast<Server*>(w->data);
  if (self->draining_) return;
  for (auto& io : self->accept_io_) ev_io_start(loop, &io);
}

// Out of descriptors, the listeners stay readable while the connection waits in the backlog:
// without a rest the loop would spin on accept4. They rest a while and the clients wait there.
void Server::pause_accepting_for_descriptors(int e) {
  for (auto& io : accept_io_) ev_io_stop(loop_, &io);
  if (ev_is_active(&accept_pause_)) ev_timer_stop(loop_, &accept_pause_);
  ev_timer_set(&accept_pause_, kDescriptorPause, 0.);
  ev_timer_start(loop_, &accept_pause_);
  double now = ev_now(loop_);
  if (now - last_fd_warning_ >= 10.0) {
    last_fd_warning_ = now;
    log_.warn("out of file descriptors (", std::strerror(e), "): new connections wait ",
              static_cast<int>(kDescriptorPause * 1000), " ms in the backlog");
  }
}

void Server::on_accept(int listen_fd) {
  // rate-limit-ms (ocserv's): one connection, then the listeners rest; the others wait in the
  // kernel's backlog.
  if (cfg().rate_limit_ms != 0) {
    for (auto& io : accept_io_) ev_io_stop(loop_, &io);
    ev_timer_set(&accept_pause_, cfg().rate_limit_ms / 1000.0, 0.);
    ev_timer_start(loop_, &accept_pause_);
  }
  TcpService service = TcpService::Https;
  for (const auto& l : listeners_)
    if (l.fd.get() == listen_fd) service = l.service;
  int batch = cfg().rate_limit_ms != 0 ? 1 : 64;
  for (int i = 0; i < batch; ++i) {  // bounded: let other watchers run under a connection flood
    if (i > 0 && ev_is_active(&accept_pause_)) return;  // a worker found no descriptor: rest
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    UniqueFd c(::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC));
    if (!c.valid()) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        pause_accepting_for_descriptors(errno);
      return;
    }
    uint16_t port = 0;
    std::string ip = address_text(ss, &port);
    std::string local_ip;  // the socket's own unless a PROXY header names it
    if (service == TcpService::Https && cfg().listen_proxy_proto &&
        !take_proxy_header(c.get(), &ip, &port, &local_ip))
      continue;
    time_t now = time(nullptr);
    if (bans_.is_banned(ip, now)) {
      log_.debug("refusing ", ip, ":", port, ": banned");
      continue;
    }
    if (bans_.add_points(ip, cfg().ban_points_connection, now)) {
      log_.info("banning ", BanDb::key_of(ip), " for ", cfg().ban_time, " s (too many connections)");
      continue;
    }
    if (cfg().max_clients != 0 &&
        workers_.size() + pending_spawns_.size() + admission_.queued() >= cfg().max_clients) {
      log_.info("refusing ", ip, ":", port, ": max-clients (", cfg().max_clients, ") reached");
      continue;
    }
    double t = ev_now(loop_);
    WaitingConnection wc{std::move(c), ip, port, service, t};
    wc.local_ip = std::move(local_ip);
    wc.resumption = hello_resumes(wc.fd.get());
    if (service == TcpService::OpenVpnTcp && !s_.openvpn_v2_key.empty()) {
      // tls-crypt-v2: main opens the client's key (workers never see the server key).
      wc.ovpn = openvpn_tcp_client_key(wc.fd.get());
      if (!wc.ovpn) {
        log_.debug("refusing OpenVPN TCP client ", ip, ":", port, ": no valid tls-crypt-v2 reset");
        continue;
      }
    }
    if (auto now_c = admission_.arrive(std::move(wc), t)) (void)start_admitted(std::move(*now_c));
  }
}

// The one dispatch point for worker channels.
void Server::on_worker_readable(WorkerProc& w) {
  auto r = w.channel.recv<ipc::WorkerToMain>(true);
  if (!r.ok()) {
    if (r.error() == Errc::Timeout) return;
    ev_io_stop(loop_, &w.io);  // closed: the exit is reported by the child watcher
    if (r.error() != Errc::Closed) kill_worker(w, "sent an unreadable message");
    return;
  }
  auto& [msg, fd] = r.value();
  if (fd.valid()) return kill_worker(w, "sent a file descriptor");
  // The phase check is the route table's (main/worker_routes.cpp); the handlers check values.
  if (const char* why = check_worker_message(w.phase, msg.msg_case(), w.end.has_value()))
    return kill_worker(w, why);
  switch (msg.msg_case()) {
    case ipc::WorkerToMain::kLog: {
      const auto& l = msg.log();
      if (l.level() < 0 || l.level() > 9 || l.text().size() > kMaxWorkerLogLine)
        return kill_worker(w, "sent an invalid log line");
      log_.log(static_cast<LogLevel>(l.level()), "worker ", w.pid, " ", w.client_ip, ":", w.client_port, ": ",
               sanitize_log_text(l.text()));
      return;
    }
    case ipc::WorkerToMain::kSessionRequest:
      return on_session_request(w, msg.session_request());
    case ipc::WorkerToMain::kSessionStats:
      w.stats = msg.session_stats();
      if (w.stats.moved_to_handoff() != 0) on_udp_moved(w, w.stats.moved_to_handoff());
      return;
    case ipc::WorkerToMain::kSessionEnd:
      w.end = msg.session_end();
      return;
    case ipc::WorkerToMain::kPathChecked:
      w.path_checks.answered_through(msg.path_checked().through());
      return;
    case ipc::WorkerToMain::kHipReport:
      if (w.request.protocol() != ipc::GLOBALPROTECT || msg.hip_report().report().size() > kMaxHipReport)
        return kill_worker(w, "sent an invalid HIP report");
      w.hip_report = msg.hip_report().report();
      log_.info("worker ", w.pid, ": HIP report from '", sanitize_log_text(w.params.username()), "' (",
                w.hip_report.size(), " bytes)");
      return;
    case ipc::WorkerToMain::MSG_NOT_SET:
      return;  // refused by the route check
  }
}

// The one dispatch point for the sec-mod channel.
void Server::on_secmod_readable() {
  auto r = secmod_.recv<ipc::SecModToMain>(true);
  if (!r.ok()) {
    if (r.error() == Errc::Timeout) return;
    log_.error("lost the channel to sec-mod; shutting down");
    shutdown(1);
    return;
  }
  const auto& msg = r->first;
  switch (msg.msg_case()) {
    case ipc::SecModToMain::kViolation:
      if (WorkerProc* w = worker_by_id(msg.violation().worker_id()))
        kill_worker(*w, "broke the sec-mod protocol");
      return;
    case ipc::SecModToMain::kAuthEvent: {
      const auto& e = msg.auth_event();
      WorkerProc* w = worker_by_id(e.worker_id());
      std::string where = w ? w->client_ip + ":" + std::to_string(w->client_port) : "?";
      if (!e.success()) {
        ++auth_failures_;
        if (w != nullptr && !e.no_ban_points() &&
            bans_.add_points(w->client_ip, cfg().ban_points_wrong_password, time(nullptr)))
          log_.info("banning ", BanDb::key_of(w->client_ip), " for ", cfg().ban_time, " s (failed logins)");
      }
      if (e.success() && w != nullptr) {
        sessions_.note_login(
            Login{e.session_id(), e.username(), e.group(), w->client_ip, e.created(), e.vhost()});
        end_login_slot(w->id);
      }
      if (e.success())
        log_.info("user '", sanitize_log_text(e.username()), "' (group '", sanitize_log_text(e.group()),
                  "') logged in from ", where, e.vhost().empty() ? "" : " to [vhost:" + e.vhost() + "]");
      else
        log_.warn("login failed for '", sanitize_log_text(e.username()), "' from ", where, ": ",
                  sanitize_log_text(e.reason()));
      return;
    }
    case ipc::SecModToMain::kSessionOpenReply:
      return on_session_open_reply(msg.session_open_reply());
    case ipc::SecModToMain::kSessionExpired:
      on_session_expired(msg.session_expired());
      log_.debug("a cookie expired; ", sessions_.count(), " sessions, ", sessions_.leases_in_use(),
                 " leases in use");
      return;
    case ipc::SecModToMain::kReloaded:
      return on_secmod_reloaded(msg.reloaded());
    case ipc::SecModToMain::kReady:
    case ipc::SecModToMain::MSG_NOT_SET:
      log_.error("unexpected message from sec-mod (case ", static_cast<int>(msg.msg_case()), ")");
      return;
  }
}

void Server::kill_worker(WorkerProc& w, const char* why) {
  if (w.killed) return;
  w.killed = true;
  log_.warn("killing worker ", w.pid, " (", w.client_ip, "): ", why);
  ::kill(w.pid, SIGKILL);
  ev_timer_stop(loop_, &w.auth_timer);
}

bool Server::send_to_worker(WorkerProc& w, const ipc::MainToWorker& m, int pass_fd) {
  if (w.killed) return false;
  if (w.out && w.out->send(m, pass_fd)) return true;
  kill_worker(w, w.out && w.out->queued_bytes() > 0 ? "it does not read its channel (queue full)"
                                                    : "its channel failed");
  return false;
}

WorkerProc* Server::worker_by_id(uint64_t id) {
  auto p = pid_by_id_.find(id);
  if (p == pid_by_id_.end()) return nullptr;
  auto it = workers_.find(p->second);
  return it == workers_.end() ? nullptr : it->second.get();
}

void Server::on_child_exit(pid_t pid, int status) {
  if (pid == zygote_pid_) {
    zygote_pid_ = -1;
    if (zygote_.valid()) log_.warn("the worker zygote exited (status ", status, ")");
    zygote_failed("it exited");
    return;
  }
  if (pid == collector_pid_) return on_collector_exit(status);
  if (pid == secmod_pid_) {
    log_.error("sec-mod exited (status ", status, "); shutting down");
    secmod_pid_ = -1;
    shutdown(1);
    return;
  }
  if (connect_scripts_.count(pid)) return on_connect_script_exit(pid, status);
  if (auto r = route_scripts_.find(pid); r != route_scripts_.end()) {
    if (WIFSIGNALED(status))
      log_.warn(r->second, " was killed by signal ", WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
      log_.warn(r->second, " failed: a command exited with an error");
    route_scripts_.erase(r);
    return;
  }
  auto it = workers_.find(pid);
  if (it == workers_.end())
    return note_early_exit(pid);  // a disconnect-script, or a worker not yet registered
  on_worker_exit(*it->second, status);
  uint64_t id = it->second->id;
  workers_.erase(it);
  end_login_slot(id);
}

void Server::on_worker_exit(WorkerProc& w, int status) {
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
    log_.error("worker ", w.pid, " (", w.client_ip,
               ") was killed by the seccomp filter (forbidden system call)");
  else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL && WTERMSIG(status) != SIGTERM)
    log_.error("worker ", w.pid, " (", w.client_ip, ") died of signal ", WTERMSIG(status));
  else
    log_.debug("worker ", w.pid, " exited");
  // Drain what it sent before dying (log lines, its SessionEnd), then forget it.
  while (w.channel.valid()) {
    auto r = w.channel.recv<ipc::WorkerToMain>(true);
    if (!r.ok()) break;
    const auto& m = r->first;
    if (m.msg_case() == ipc::WorkerToMain::kLog)
      log_.log(static_cast<LogLevel>(std::clamp(m.log().level(), 0, 9)), "worker ", w.pid, " ", w.client_ip,
               ": ", sanitize_log_text(m.log().text().substr(0, kMaxWorkerLogLine)));
    else if (m.msg_case() == ipc::WorkerToMain::kSessionEnd && w.phase == WorkerPhase::Tunnel && !w.end)
      w.end = m.session_end();
  }
  ev_io_stop(loop_, &w.io);
  ev_timer_stop(loop_, &w.auth_timer);
  if (!w.dtls_id.empty()) dtls_ids_.erase(w.dtls_id);
  if (!w.ovpn_peer.empty()) ovpn_peers_.erase(w.ovpn_peer);
  if (w.esp_spi != 0) esp_spis_.erase(w.esp_spi);
  pid_by_id_.erase(w.id);
  if (auto p = id_by_peer_id_.find(peer_id_of(w.id)); p != id_by_peer_id_.end() && p->second == w.id)
    id_by_peer_id_.erase(p);
  if (!w.udp_peer.empty() && !w.dtls_id.empty()) {
    auto [b, e] = dtls_by_ip_.equal_range(w.client_ip);
    for (auto it = b; it != e; ++it)
      if (it->second == w.pid) {
        dtls_by_ip_.erase(it);
        break;
      }
  }
  if (w.phase == WorkerPhase::Tunnel) {
    end_tunnel(w);
  } else {
    abandon_session(w);  // a session attached to it whose tunnel never began (connect-script)
  }
  ipc::MainToSecMod detach;
  detach.mutable_detach_worker()->set_worker_id(w.id);
  (void)secmod_out_.send(detach);
}

void Server::shutdown(int code) {
  exit_code_ = code;
  // As ocserv: each running tunnel ends with the server's reason, so its disconnect-script runs
  // (and the collector hears of it). Its accounting STOP goes to sec-mod as far as the channel
  // takes it at once: best effort, since sec-mod is stopped next.
  std::vector<pid_t> tunnels;
  for (auto& [pid, w] : workers_) {
    if (w->phase != WorkerPhase::Tunnel) continue;
    tunnels.push_back(pid);
    if (!w->end) {
      w->end.emplace();
      w->end->set_reason(ipc::SessionEnd::SERVER_DISCONNECT);
      w->end->set_bytes_in(w->stats.bytes_in());
      w->end->set_bytes_out(w->stats.bytes_out());
    }
    end_tunnel(*w);
    w->phase = WorkerPhase::Login;  // ended: its exit must not end it again
  }
  collector_udp_.clear();  // no restart
  stop_collector();
  for (const auto& [pid, cs] : connect_scripts_)  // their tunnels will not start: no file stays
    if (!cs.output.empty()) ::unlink(cs.output.c_str());
  // Tunnel workers are not signalled: they see main's channel close when the server is gone
  // and tell their clients first (OpenVPN's RESTART: the client reconnects at once, to this
  // server when it is back or to the next in its list). main waits for them (main.cpp).
  for (auto& [pid, w] : workers_)
    if (std::find(tunnels.begin(), tunnels.end(), pid) == tunnels.end()) ::kill(pid, SIGTERM);
  if (secmod_pid_ > 0) ::kill(secmod_pid_, SIGTERM);
  if (zygote_pid_ > 0) ::kill(zygote_pid_, SIGTERM);
  ev_break(loop_, EVBREAK_ALL);
}

}  // namespace sslvpn::mainproc
