// Server: the tunnel part of a worker's life. CONNECT -> SessionRequest -> sec-mod checks the
// cookie -> leases and TUN -> connect-script -> SessionReply with the TUN fd -> ... -> the
// worker ends -> disconnect-script, sec-mod told whether the cookie lives on.
#include <sys/wait.h>

#include <gnutls/crypto.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

#include "common/port_filter.hpp"
#include "common/text.hpp"
#include "main/route_cmds.hpp"
#include "main/server.hpp"

namespace sslvpn::mainproc {
namespace {

// RFC 2866 Acct-Terminate-Cause for how a tunnel ended.
uint32_t terminate_cause(ipc::SessionEnd::Reason r) {
  switch (r) {
    case ipc::SessionEnd::USER_DISCONNECT:
      return 1;  // User-Request
    case ipc::SessionEnd::IDLE_TIMEOUT:
      return 4;  // Idle-Timeout
    case ipc::SessionEnd::SESSION_TIMEOUT:
      return 5;  // Session-Timeout
    case ipc::SessionEnd::SERVER_DISCONNECT:
      return 6;  // Admin-Reset
    case ipc::SessionEnd::ERROR:
      return 9;  // NAS-Error
    default:
      return 2;  // Lost-Carrier
  }
}

}  // namespace

void Server::on_session_request(WorkerProc& w, const ipc::SessionRequest& req) {
  // The protocol (and so the datagram channel main sets up) is the listener's, not the worker's word.
  bool openvpn_listener = w.service != TcpService::Https;
  if ((req.protocol() == ipc::OPENVPN) != openvpn_listener ||
      (req.datagram_transport() && w.service != TcpService::OpenVpnUdp))
    return kill_worker(w, "asked for a tunnel of another protocol than its listener's");
  end_login_slot(w.id);  // a tunnel is asked for: the login part is over
  // The cookie is checked by sec-mod only; main forwards it and keeps the rest of the request.
  w.phase = WorkerPhase::AwaitSession;
  w.request = req;
  w.request.clear_cookie();
  ipc::MainToSecMod open;
  open.mutable_session_open()->set_worker_id(w.id);
  open.mutable_session_open()->set_cookie(req.cookie());
  if (!secmod_out_.send(open))
    refuse_tunnel(w, ipc::SessionReply::UNAVAILABLE, "the server cannot check sessions right now");
}

void Server::hand_cookie_back(const ipc::SessionOpenReply& r) {
  // Not while a tunnel uses the session: sec-mod would take the cookie for idle and expire it.
  const Session* live = r.ok() ? sessions_.find(r.session_id()) : nullptr;
  if (!r.ok() || (live != nullptr && live->worker > 0)) return;
  secmod_detach(r.session_id(), false);
}

void Server::secmod_detach(uint64_t sid, bool logout) {
  ipc::MainToSecMod d;
  d.mutable_session_detach()->set_session_id(sid);
  d.mutable_session_detach()->set_logout(logout);
  (void)secmod_out_.send(d);
}

void Server::end_session(uint64_t sid) {
  sessions_.expire(sid);  // frees the leases of a session, forgets a login
  secmod_detach(sid, true);
}

void Server::on_session_open_reply(const ipc::SessionOpenReply& r) {
  WorkerProc* w = worker_by_id(r.worker_id());
  if (w == nullptr || w->killed || w->phase != WorkerPhase::AwaitSession) {
    // The worker left (or is being ended) meanwhile: hand the cookie back so it can be used again.
    hand_cookie_back(r);
    return;
  }
  if (!r.ok() || (!w->request.user().empty() && w->request.user() != r.username())) {
    log_.info("tunnel refused for ", w->client_ip,
              r.ok() ? ": the cookie is another user's" : ": invalid or expired cookie");
    hand_cookie_back(r);
    return refuse_tunnel(*w, ipc::SessionReply::BAD_SESSION, "invalid or expired cookie");
  }
  w->session_id = r.session_id();
  w->vhost = r.vhost();
  Refusal refusal;
  auto grant = sessions_.open(r, w->pid, w->client_ip, w->request, time(nullptr), &refusal);
  if (!grant.ok()) {
    log_.warn("tunnel refused for '", sanitize_log_text(r.username()), "' from ", w->client_ip, ": ",
              refusal.reason, refusal.detail.empty() ? "" : " (" + refusal.detail + ")");
    hand_cookie_back(r);  // unless another worker's tunnel uses the session
    return refuse_tunnel(*w, refusal.kind, refusal.reason);
  }
  if (grant->displaced > 0) {
    auto old = workers_.find(grant->displaced);
    if (old != workers_.end()) kill_worker(*old->second, "its session reconnected from a new connection");
  }
  w->grant = std::move(grant).value();
  w->params = w->grant->params;
  const Session* sess = sessions_.find(w->session_id);
  // The client's host name, unless the user's or group's file names one (as ocserv's).
  w->params.set_hostname(sess != nullptr && !sess->settings.hostname().empty() ? sess->settings.hostname()
                                                                               : w->request.hostname());
  if (sess != nullptr) {  // the session's host, as it was configured when the session began
    w->vhost = sess->vhost;
    w->host_cfg = sess->cfg;
    if (sess->client_config)
      for (const auto& x : sess->client_config->ignored)
        log_.warn("openvpn-client-config-dir file for '", sanitize_log_text(r.username()),
                  "': not applied: ", sanitize_log_text(x));
  }
  bool no_udp = sess != nullptr && sess->settings.has_no_udp() && sess->settings.no_udp();
  if (w->request.protocol() == ipc::GLOBALPROTECT) {
    // ESP for a getconfig (not for the tunnel GET: PAN drops the SA once HTTPS carries data).
    uint32_t c2s = fresh_esp_spi(), s2c = fresh_esp_spi();
    if (cfg().gp_esp_port != 0 && !no_udp && !w->request.no_datagram() && c2s != 0 && s2c != 0) {
      auto* e = w->params.mutable_esp();
      e->set_udp_port(cfg().gp_esp_port);
      e->set_c2s_spi(c2s);
      e->set_s2c_spi(s2c);
    }
  } else if (w->request.protocol() == ipc::ANYCONNECT && cfg().udp_port != 0 && !no_udp) {
    // A fresh random id per tunnel names it in the client's DTLS ClientHello.
    std::string id(32, '\0');
    if (gnutls_rnd(GNUTLS_RND_NONCE, id.data(), id.size()) == 0) {
      auto* d = w->params.mutable_dtls();
      d->set_udp_port(cfg().udp_port);
      d->set_session_id(id);
      d->set_psk(cfg().dtls_psk);
      d->set_legacy(cfg().dtls_legacy);
      d->set_match_tls_ciphers(cfg().match_tls_dtls_ciphers);
      d->set_switch_to_tcp_timeout(cfg().switch_to_tcp_timeout);
    }
  }
  const std::string& script = host_config(*w).connect_script;
  if (script.empty()) return grant_tunnel(*w);
  // As openvpn's client-connect: a file for the script's output, named by its first argument.
  if (connect_output_dir_.empty()) {
    std::string error;
    connect_output_dir_ = prepare_connect_output_dir(cfg().occtl_socket_file, &error);
    if (connect_output_dir_.empty()) log_.warn("no directory for connect-scripts' output: ", error);
  }
  std::string output =
      connect_output_dir_.empty() ? std::string() : make_connect_output_file(connect_output_dir_);
  if (output.empty()) log_.warn("no file for the connect-script's output: it runs without one");
  ScriptEnv env = script_env(*w, "connect");
  if (!output.empty()) env["client_connect_config_file"] = output;
  auto pid = start_script(script, env, output.empty() ? std::vector<std::string>{} : std::vector{output});
  if (!pid.ok()) {
    if (!output.empty()) ::unlink(output.c_str());
    log_.error("cannot start connect-script '", script, "'");
    abandon_session(*w);
    return refuse_tunnel(*w, ipc::SessionReply::UNAVAILABLE, "connect-script failed");
  }
  w->phase = WorkerPhase::ConnectScript;
  connect_scripts_[*pid] = ConnectScript{w->pid, std::move(output)};
}

void Server::on_connect_script_exit(pid_t script, int status) {
  auto node = connect_scripts_.extract(script);
  if (node.empty()) return;
  ConnectScript cs = std::move(node.mapped());
  std::optional<std::string> text;
  if (!cs.output.empty()) text = take_connect_output_file(cs.output, kMaxConnectOutput);
  auto it = workers_.find(cs.worker);
  if (it == workers_.end() || it->second->phase != WorkerPhase::ConnectScript) return;
  WorkerProc& w = *it->second;
  if (w.user_logout) {  // the user logged out while the script ran
    sessions_.detach(w.session_id, w.pid, true);
    return refuse_tunnel(w, ipc::SessionReply::BAD_SESSION, "logged out");
  }
  const char* refused = nullptr;
  std::string user = sanitize_log_text(w.params.username());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    log_.info("connect-script refused '", user, "' from ", w.client_ip, " (status ", status, ")");
    refused = "the connect script refused the session";
  } else if (!cs.output.empty()) {
    refused = apply_connect_output(w, text);
  }
  if (refused == nullptr) return grant_tunnel(w);
  abandon_session(w);
  refuse_tunnel(w, ipc::SessionReply::UNAVAILABLE, refused);
}

const char* Server::apply_connect_output(WorkerProc& w, const std::optional<std::string>& text) {
  std::string user = sanitize_log_text(w.params.username()), error;
  if (!text) {
    log_.error("cannot read the connect-script's output for '", user, "'");
    return "the connect script's output cannot be read";
  }
  auto out = parse_connect_output(*text, &error);
  if (!out.ok()) {
    log_.error("connect-script output for '", user, "': ", sanitize_log_text(error));
    return "the connect script's output is malformed";
  }
  for (const auto& x : out->ignored)
    log_.warn("connect-script output for '", user, "': not applied: ", sanitize_log_text(x));
  for (const auto& a : {out->ifconfig4, out->ifconfig6})  // leased before the script ran
    if (a)
      log_.warn(
          "connect-script output for '", user, "': not applied: ifconfig-push ", a->to_string(),
          " (the address is leased before the script runs: use explicit-ipv4 or openvpn-client-config-dir)");
  if (out->disable) {
    log_.info("connect-script disabled '", user, "' from ", w.client_ip);
    return "the connect script disabled the client";
  }
  if (!sessions_.apply_connect_output(w.session_id, *out, w.params)) return "the session is gone";
  for (const auto& net : out->iroutes) {  // gone with the device when the tunnel ends
    if (!w.grant || sessions_.route_into(w.session_id, w.grant->tun.ifindex, net, &error)) continue;
    log_.error("connect-script output for '", user, "': cannot route ", net.to_string(),
               " to the client: ", sanitize_log_text(error));
    return "the connect script's iroute cannot be set";
  }
  return nullptr;
}

void Server::grant_tunnel(WorkerProc& w) {
  ipc::MainToWorker m;
  auto* reply = m.mutable_session_reply();
  reply->set_ok(true);
  *reply->mutable_params() = w.params;
  TunnelGrant grant = std::move(*w.grant);
  w.grant.reset();
  if (!send_to_worker(w, m, grant.tun.fd.get())) return abandon_session(w);  // it is being ended
  // Our copy of the TUN fd closes here: the device now lives exactly as long as the worker.
  w.phase = WorkerPhase::Tunnel;
  sessions_.settle(w.session_id);
  end_replaced(sessions_.take_replacing(w.session_id), w.params.username());
  if (w.ovpn_socket.valid()) {
    enlarge_tunnel_rcvbuf(w.ovpn_socket.get());
    w.ovpn_socket.reset();
  }
  w.tunnel_start = time(nullptr);
  ++total_tunnels_;
  if (w.params.has_dtls() && !w.params.dtls().session_id().empty()) {
    w.dtls_id = w.params.dtls().session_id();
    dtls_ids_[w.dtls_id] = w.pid;
  }
  if (w.params.has_esp() && w.params.esp().c2s_spi() != 0) {
    w.esp_spi = w.params.esp().c2s_spi();
    esp_spis_[w.esp_spi] = w.pid;
  }
  ev_timer_stop(loop_, &w.auth_timer);
  if (cfg().acct) {
    const Session* s = sessions_.find(w.session_id);
    uint32_t every =
        s && s->settings.has_interim_interval() ? s->settings.interim_interval() : cfg().stats_report_time;
    w.acct_interval = every;
    send_accounting(w, ipc::AccountingRecord::START);
  }
  publish_event("connect", w, "");
  run_host_update_script(w);
  run_route_cmds(w, true);
  collector_session(w, true);
  utmp_session(w, true);
  log_.info("user '", sanitize_log_text(w.params.username()), "' connected from ", w.client_ip, " on ",
            w.params.device(), " as ", w.params.ipv4_address(),
            w.params.ipv6_address().empty() ? "" : " " + w.params.ipv6_address());
}

void Server::on_session_expired(const ipc::SessionExpired& m) {
  const Session* s = sessions_.find(m.session_id());
  auto it = m.logout() && s != nullptr && s->worker > 0 ? workers_.find(s->worker) : workers_.end();
  if (it == workers_.end()) return sessions_.expire(m.session_id());
  // A worker runs (or is about to run) the session's tunnel: it ends as a logout, and its end
  // frees the session (end_tunnel; a connect-script still running is refused when it exits).
  WorkerProc& w = *it->second;
  w.terminate_logout = true;
  w.user_logout = true;
  if (w.phase != WorkerPhase::Tunnel) return;
  ipc::MainToWorker t;
  t.mutable_terminate()->set_reason("the user logged out");
  t.mutable_terminate()->set_tell_client(true);
  (void)send_to_worker(w, t);
}

void Server::abandon_session(WorkerProc& w) {
  uint64_t sid = std::exchange(w.session_id, 0);
  // The user logged out meanwhile (its connect-script still running): the session ends.
  if (sid == 0 || !sessions_.detach(sid, w.pid, w.user_logout)) return;
  secmod_detach(sid, w.user_logout);
}

void Server::end_replaced(const std::vector<SessionManager::Replaced>& gone, const std::string& user) {
  for (const auto& g : gone) {
    log_.info("user '", sanitize_log_text(user), "': an older session ends, replaced by a new connection",
              " (replace-same-clients)");
    auto it = g.worker > 0 ? workers_.find(g.worker) : workers_.end();
    if (it == workers_.end()) {  // no tunnel: the session and its cookie end here
      end_session(g.id);
      continue;
    }
    // Its tunnel ends, and with it (as a logout) the session: its addresses are freed once its
    // worker, and so its device, is gone; sec-mod drops the cookie then.
    WorkerProc& old = *it->second;
    old.terminate_logout = true;  // end_tunnel's logout
    if (old.phase != WorkerPhase::Tunnel) {
      old.user_logout = true;  // abandon_session's
      kill_worker(old, "its session was replaced by a new connection of the same user");
      continue;
    }
    ipc::MainToWorker m;
    m.mutable_terminate()->set_reason("replaced by a new connection of the same user");
    m.mutable_terminate()->set_tell_client(true);
    (void)send_to_worker(old, m);
  }
}

void Server::refuse_tunnel(WorkerProc& w, ipc::SessionReply::Refusal kind, const std::string& reason) {
  w.grant.reset();
  w.session_id = 0;
  ipc::MainToWorker m;
  auto* reply = m.mutable_session_reply();
  reply->set_ok(false);
  reply->set_refusal(kind);
  reply->set_reason(reason);
  (void)send_to_worker(w, m);
  // It answers the client and closes; another SessionRequest from it is a violation.
  w.phase = WorkerPhase::AwaitSession;
}

void Server::end_tunnel(WorkerProc& w) {
  using R = ipc::SessionEnd;
  R::Reason reason = w.end ? w.end->reason() : R::CLIENT_GONE;
  if (w.user_logout) reason = R::USER_DISCONNECT;  // its end was the user's logout, not an admin's
  if (w.end) {
    w.stats.set_bytes_in(w.end->bytes_in());
    w.stats.set_bytes_out(w.end->bytes_out());
  }
  // Logging out (or reaching session-timeout) ends the session; anything else leaves the cookie
  // valid for cookie-timeout so the client can come back to the same addresses. Under
  // persistent-cookies a tunnel's own disconnect does too (GlobalProtect's logout.esp, a logout
  // of the portal's cookie, still ends it, as PAN's gateway does).
  bool own_disconnect = reason == R::USER_DISCONNECT && !w.user_logout;
  bool keep = own_disconnect && cfg().for_host(w.vhost).persistent_cookies &&
              w.request.protocol() != ipc::GLOBALPROTECT;
  bool logout = (reason == R::USER_DISCONNECT && !keep) || reason == R::SESSION_TIMEOUT || w.terminate_logout;
  closed_rx_ += w.stats.bytes_in();
  closed_tx_ += w.stats.bytes_out();
  const Session* s = sessions_.find(w.session_id);
  bool still_ours = s != nullptr && s->worker == w.pid;
  log_.info("user '", sanitize_log_text(w.params.username()), "' disconnected from ", w.params.device(), ": ",
            R::Reason_Name(reason),
            w.end && !w.end->detail().empty() ? " (" + sanitize_log_text(w.end->detail()) + ")" : "", "; in ",
            w.stats.bytes_in(), " B, out ", w.stats.bytes_out(), " B");
  if (cfg().acct) send_accounting(w, ipc::AccountingRecord::STOP, terminate_cause(reason));
  publish_event("disconnect", w, R::Reason_Name(reason));
  collector_session(w, false);
  utmp_session(w, false);
  run_route_cmds(w, false);
  sessions_.detach(w.session_id, w.pid, logout);
  log_.debug(sessions_.count(), " sessions, ", sessions_.leases_in_use(), " leases in use");
  if (still_ours) secmod_detach(w.session_id, logout);
  run_disconnect_script(w);
}

void Server::utmp_session(WorkerProc& w, bool up) {
  if (up ? !cfg().use_utmp : !w.in_utmp) return;  // a logout is owed even if a reload turned it off
  w.in_utmp = up;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t us = int64_t{now.tv_sec} * 1000000 + now.tv_nsec / 1000;
  bool ok = up ? utmp_.login({w.params.device(), w.params.username(), w.client_ip, w.pid}, us)
               : utmp_.logout(w.params.device(), w.pid, us);
  if (ok || ev_now(loop_) - utmp_warned_ < 60) return;  // a warning a minute at most
  utmp_warned_ = ev_now(loop_);
  log_.warn("use-utmp: cannot record ", up ? "a login" : "a logout", " in ", utmp_.utmp_path(),
            " and wtmp: ", std::strerror(errno), " (set use-utmp = false to stop trying)");
}

void Server::end_stale_utmp() {
  if (!cfg().use_utmp) return;
  std::vector<std::string> prefixes{cfg().device};
  for (const auto& v : cfg().vhosts) prefixes.push_back(cfg().for_host(v.name).device);
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  if (size_t n = utmp_.end_stale(prefixes, int64_t{now.tv_sec} * 1000000 + now.tv_nsec / 1000))
    log_.info("use-utmp: ", n, " login(s) left in utmp by an earlier run ended");
}

ScriptEnv Server::script_env(const WorkerProc& w, const char* reason) const {
  const auto& p = w.params;
  ScriptEnv env{
      {"REASON", reason},
      {"USERNAME", p.username()},
      {"GROUPNAME", p.group()},
      {"DEVICE", p.device()},
      {"IP_REAL", w.client_ip},
      {"IP_LOCAL", p.ipv4_local()},
      {"IP_REMOTE", p.ipv4_address()},
      {"ID", std::to_string(w.id)},
      {"VHOST", w.vhost.empty() ? "default" : w.vhost},
      {"USER_AGENT", w.request.user_agent()},
      {"HOSTNAME", w.params.hostname()},
      {"REMOTE_HOSTNAME", w.params.hostname()},
      {"DEVICE_TYPE", w.request.device_type()},
      {"DEVICE_PLATFORM", w.request.device_platform()},
      {"IP_REAL_LOCAL", w.local_ip},
  };
  env["PROTOCOL"] = protocol_name(w.request.protocol());
  if (w.request.protocol() == ipc::OPENVPN) add_openvpn_script_env(env, w, reason);
  if (!p.ipv6_address().empty()) {
    env["IPV6_LOCAL"] = p.ipv6_local();
    env["IPV6_REMOTE"] = p.ipv6_address();
    env["IPV6_PREFIX"] = std::to_string(p.ipv6_prefix());
  }
  auto join = [](const auto& list) {
    std::string out;
    for (const auto& x : list) out += (out.empty() ? "" : " ") + x;
    return out;
  };
  env["OCSERV_ROUTES"] = join(routes_occtl_form(p.route_include()));
  env["OCSERV_NO_ROUTES"] = join(routes_occtl_form(p.route_exclude()));
  env["OCSERV_DNS"] = join(p.dns());
  // ocserv's per-family lists (src/main-user.c), set only when not empty, as it does.
  auto by_family = [&](const char* v4_name, const char* v6_name, const auto& items, bool routes) {
    std::vector<std::string> v4, v6;
    for (const auto& x : items) {
      auto net = parse_ip_net(x);
      auto addr = parse_ip(x);
      bool is_v4 = net ? net->addr.is_v4() : addr && addr->is_v4();
      if (!net && !addr) continue;
      (is_v4 ? v4 : v6).push_back(routes && net ? net->split_form() : x);
    }
    if (!v4.empty()) env[v4_name] = join(v4);
    if (!v6.empty()) env[v6_name] = join(v6);
  };
  by_family("OCSERV_ROUTES4", "OCSERV_ROUTES6", p.route_include(), true);
  by_family("OCSERV_NO_ROUTES4", "OCSERV_NO_ROUTES6", p.route_exclude(), true);
  by_family("OCSERV_DNS4", "OCSERV_DNS6", p.dns(), false);
  if (!p.allowed_destinations().empty()) env["OCSERV_RESTRICT_TO_ROUTES"] = "1";
  std::string error;
  if (auto f = parse_port_filter(p.restrict_to_ports(), &error); f && !f->empty())
    env[f->deny ? "OCSERV_DENY_PORTS" : "OCSERV_ALLOW_PORTS"] = port_filter_env(*f);
  return env;
}

// openvpn's own names for its client-connect and client-disconnect scripts (openvpn(8),
// "Environmental Variables"), beside ocserv's, so that an openvpn server's scripts that read
// them keep working. The user name stands for common_name, as with openvpn's
// username-as-common-name. A script cannot hand back a configuration file, as openvpn's can.
void Server::add_openvpn_script_env(ScriptEnv& env, const WorkerProc& w, const char* reason) const {
  const auto& p = w.params;
  bool connect = std::string_view(reason) == "connect";
  bool disconnect = std::string_view(reason) == "disconnect";
  env["script_type"] = connect ? "client-connect" : disconnect ? "client-disconnect" : reason;
  env["common_name"] = p.username();
  env["username"] = p.username();
  // openvpn names an IPv6 client's address trusted_ip6, an IPv4 one's trusted_ip.
  bool v6 = w.client_ip.find(':') != std::string::npos;
  env[v6 ? "trusted_ip6" : "trusted_ip"] = w.client_ip;
  env[v6 ? "untrusted_ip6" : "untrusted_ip"] = w.client_ip;
  env["trusted_port"] = std::to_string(w.client_port);
  env["untrusted_port"] = std::to_string(w.client_port);
  env["dev"] = p.device();
  env["time_unix"] = std::to_string(w.tunnel_start ? w.tunnel_start : time(nullptr));
  if (!p.ipv4_address().empty()) {
    env["ifconfig_pool_remote_ip"] = p.ipv4_address();
    env["ifconfig_pool_netmask"] = p.ipv4_netmask();
  }
  if (!p.ipv6_address().empty()) env["ifconfig_pool_remote_ip6"] = p.ipv6_address();
  if (disconnect) {
    env["bytes_received"] = std::to_string(w.stats.bytes_in());
    env["bytes_sent"] = std::to_string(w.stats.bytes_out());
    env["time_duration"] = std::to_string(time(nullptr) - w.tunnel_start);
  }
}

void Server::run_disconnect_script(const WorkerProc& w) {
  const std::string& script = host_config(w).disconnect_script;
  if (script.empty()) return;
  ScriptEnv env = script_env(w, "disconnect");
  env["STATS_BYTES_IN"] = std::to_string(w.stats.bytes_in());
  env["STATS_BYTES_OUT"] = std::to_string(w.stats.bytes_out());
  env["STATS_DURATION"] = std::to_string(time(nullptr) - w.tunnel_start);
  if (!start_script(script, env)) log_.error("cannot start disconnect-script '", script, "'");
}

// route-add-cmd (ocserv's): once the tunnel is up, a command per iroute of the session routes it
// into the device; route-del-cmd, when the tunnel ends, for each network route-add-cmd routed.
// The commands of one event run in one /bin/sh, in order, each in a subshell of its own (an
// `exit` in one ends only that one); main does not wait for them, and logs a failure of any of
// them when the shell exits. The session's own configuration decides, as for its device: a
// reload does not change what an earlier tunnel's end runs.
void Server::run_route_cmds(WorkerProc& w, bool up) {
  std::vector<std::string> cmds;
  if (up) {
    const Session* s = sessions_.find(w.session_id);
    if (s == nullptr || s->cfg->route_add_cmd.empty() || s->settings.iroutes().empty()) return;
    w.routed = {s->settings.iroutes().begin(), s->settings.iroutes().end()};
    w.route_del_cmd = s->cfg->route_del_cmd;
    // A tunnel that still holds one of these networks (the session's earlier tunnel, or another
    // one's: the newest tunnel routing a network wins, as over rtnetlink) gives it up first: its
    // route-del-cmd runs before our route-add-cmd, with its REASON and DEVICE, and its own end
    // leaves the network alone.
    for (auto& [pid, other] : workers_) {
      if (other.get() == &w || other->routed.empty()) continue;
      auto taken = take_routes(other->routed, w.routed);
      if (taken.empty() || other->route_del_cmd.empty()) continue;
      for (auto& c : iroute_commands(other->route_del_cmd, taken, other->params.device()))
        cmds.push_back("REASON=route-del; DEVICE=" + other->params.device() + "; export REASON DEVICE; " + c);
    }
    for (auto& c : iroute_commands(s->cfg->route_add_cmd, w.routed, w.params.device())) cmds.push_back(c);
  } else {
    if (!w.route_del_cmd.empty()) cmds = iroute_commands(w.route_del_cmd, w.routed, w.params.device());
    w.routed.clear();
  }
  if (cmds.empty()) return;
  std::string script = "rc=0\n";
  for (const auto& c : cmds) script += "(\n" + c + "\n) || rc=1\n";
  script += "exit $rc\n";
  const char* what = up ? "route-add-cmd" : "route-del-cmd";
  auto pid = start_script("/bin/sh", script_env(w, up ? "route-add" : "route-del"), {"-c", script});
  if (!pid.ok())
    log_.error("cannot start ", what, " for '", sanitize_log_text(w.params.username()), "'");
  else
    route_scripts_[*pid] = what;
}

// host-update-script (ocserv's): once a tunnel is up, with the host name the client sent (or
// the user's or group's `hostname`), e.g. to publish it in a DNS zone. REASON=host-update.
void Server::run_host_update_script(const WorkerProc& w) {
  const std::string& script = host_config(w).host_update_script;
  if (script.empty() || w.params.hostname().empty()) return;
  if (!is_dns_host_name(w.params.hostname())) {  // the client's choice: not handed on as it is
    log_.info("host-update-script not run for '", sanitize_log_text(w.params.username()),
              "': its host name is not an RFC 1123 name");
    return;
  }
  if (!start_script(script, script_env(w, "host-update")))
    log_.error("cannot start host-update-script '", script, "'");
}

void Server::send_accounting(WorkerProc& w, ipc::AccountingRecord::Kind kind, uint32_t terminate_cause) {
  time_t now = time(nullptr);
  w.last_acct = now;
  ipc::MainToSecMod m;
  auto* a = m.mutable_accounting();
  a->set_kind(kind);
  // One accounting session per tunnel: a reconnect is a new Start.
  char id[48];
  std::snprintf(id, sizeof id, "%016llx-%llx", static_cast<unsigned long long>(w.session_id),
                static_cast<unsigned long long>(w.tunnel_start));
  a->set_acct_session_id(id);
  a->set_username(w.params.username());
  a->set_group(w.params.group());
  a->set_client_ip(w.client_ip);
  a->set_ipv4(w.params.ipv4_address());
  a->set_ipv6(w.params.ipv6_address());
  a->set_bytes_in(w.stats.bytes_in());
  a->set_bytes_out(w.stats.bytes_out());
  a->set_session_time(static_cast<uint32_t>(now - w.tunnel_start));
  a->set_terminate_cause(terminate_cause);
  (void)secmod_out_.send(m);
}

}  // namespace sslvpn::mainproc
