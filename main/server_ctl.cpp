// Server: answers sslvpnctl (the control socket). Everything it reports is main's own view:
// tunnels are workers in the Tunnel phase, sessions are SessionManager's.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "common/port_filter.hpp"
#include "main/control_socket.hpp"
#include "main/server.hpp"

namespace sslvpn::mainproc {
namespace {

// How much of a HIP report one user row carries (the rest is counted, not shown).
constexpr size_t kRowHipReport = 40 * 1024;

std::string session_text(uint64_t sid) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(sid));
  return buf;
}

ctl::CtlReply error_reply(std::string e) {
  ctl::CtlReply r;
  r.set_ok(false);
  r.set_error(std::move(e));
  return r;
}

}  // namespace

std::optional<ctl::CtlReply> Server::on_ctl(const ctl::CtlRequest& req, uint64_t token) {
  switch (req.cmd_case()) {
    case ctl::CtlRequest::kShowFlows:
    case ctl::CtlRequest::kCollectorStatus:
      return ask_collector(req, token);
    case ctl::CtlRequest::kStatus:
      return ctl_status();
    case ctl::CtlRequest::kListUsers:
      return ctl_users(nullptr);
    case ctl::CtlRequest::kUserInfo:
      return ctl_users(&req.user_info());
    case ctl::CtlRequest::kListSessions:
      return ctl_sessions();
    case ctl::CtlRequest::kDisconnect:
      return ctl_end(req.disconnect(), false);
    case ctl::CtlRequest::kTerminate:
      return ctl_end(req.terminate(), true);
    case ctl::CtlRequest::kStop: {
      log_.info("stop requested through the control socket");
      ev_feed_signal(SIGTERM);  // handled by the signal watcher after this reply is sent
      ctl::CtlReply r;
      r.set_ok(true);
      return r;
    }
    case ctl::CtlRequest::kListBans:
      return ctl_bans(true);
    case ctl::CtlRequest::kListBanPoints:
      return ctl_bans(false);
    case ctl::CtlRequest::kUnban: {
      if (!bans_.unban(req.unban())) return error_reply("no such address in the ban list");
      log_.info("unbanned ", BanDb::key_of(req.unban()), " on request");
      ctl::CtlReply r;
      r.set_ok(true);
      r.set_affected(1);
      return r;
    }
    case ctl::CtlRequest::kReload: {
      std::string error;
      std::vector<std::string> notes;
      if (!reload(&error, &notes)) {
        log_.error("reload refused, the running configuration stays: ", error);
        return error_reply(error);
      }
      ctl::CtlReply r;
      r.set_ok(true);
      for (auto& n : notes) r.add_notes(std::move(n));
      return r;
    }
    case ctl::CtlRequest::kWatchEvents:  // the control socket handles it itself
    case ctl::CtlRequest::CMD_NOT_SET:
      break;
  }
  return error_reply("unknown command");
}

ctl::CtlReply Server::ctl_status() const {
  ctl::CtlReply r;
  r.set_ok(true);
  auto* st = r.mutable_status();
  st->set_server_pid(static_cast<uint32_t>(::getpid()));
  st->set_secmod_pid(static_cast<uint32_t>(secmod_pid_));
  st->set_up_since(up_since_);
  st->set_stats_reset_at(stats_reset_at_);
  uint32_t active = 0;
  uint64_t rx = closed_rx_, tx = closed_tx_;
  for (const auto& [pid, w] : workers_) {
    if (w->phase != WorkerPhase::Tunnel) continue;
    ++active;
    rx += w->stats.bytes_in();
    tx += w->stats.bytes_out();
  }
  st->set_active_tunnels(active);
  st->set_connections(static_cast<uint32_t>(workers_.size()));
  st->set_sessions(static_cast<uint32_t>(sessions_.count()));
  st->set_total_tunnels(total_tunnels_);
  st->set_auth_failures(auth_failures_);
  st->set_rx_bytes(rx);
  st->set_tx_bytes(tx);
  st->set_leases_in_use(static_cast<uint32_t>(sessions_.leases_in_use()));
  st->set_banned_ips(static_cast<uint32_t>(bans_.banned_count(time(nullptr))));
  st->set_logins_in_progress(static_cast<uint32_t>(admission_.in_progress()));
  st->set_logins_waiting(static_cast<uint32_t>(admission_.queued()));
  st->set_closed_waiting(admission_.stats().closed_stale + admission_.stats().closed_overflow);
  st->set_max_logins_in_progress(static_cast<uint32_t>(admission_.limits().in_progress));
  return r;
}

ctl::CtlReply Server::ctl_bans(bool banned_only) const {
  ctl::CtlReply r;
  r.set_ok(true);
  time_t now = time(nullptr);
  for (const BanEntry& e : bans_.entries(now)) {
    if (banned_only && e.banned_until <= now) continue;
    auto* b = r.add_bans();
    b->set_ip(e.key);
    b->set_score(e.score);
    b->set_banned_until(e.banned_until > now ? e.banned_until : 0);
    b->set_last_points(e.last_points);
  }
  return r;
}

bool Server::selected(const WorkerProc& w, const ctl::Select& sel) const {
  switch (sel.by_case()) {
    case ctl::Select::kUser:
      return w.params.username() == sel.user();
    case ctl::Select::kId:
      return w.id == sel.id();
    case ctl::Select::kSession:
      return session_text(w.session_id) == sel.session();
    case ctl::Select::BY_NOT_SET:
      return false;
  }
  return false;
}

ctl::CtlReply Server::ctl_users(const ctl::Select* only) const {
  ctl::CtlReply r;
  r.set_ok(true);
  for (const auto& [pid, w] : workers_) {
    if (w->phase != WorkerPhase::Tunnel || (only != nullptr && !selected(*w, *only))) continue;
    fill_user_row(*w, r.add_users(), only != nullptr);
  }
  if (only != nullptr && r.users_size() == 0) return error_reply("no such user, id or session connected");
  return r;
}

void Server::fill_user_row(const WorkerProc& w, ctl::UserRow* u, bool detail) const {
  const auto& p = w.params;
  u->set_id(w.id);
  u->set_pid(static_cast<uint32_t>(w.pid));
  u->set_username(p.username());
  u->set_groupname(p.group());
  u->set_state("connected");
  u->set_device(p.device());
  u->set_mtu(p.mtu());
  u->set_remote_ip(w.client_ip);
  u->set_remote_port(w.client_port);
  u->set_local_ip(w.local_ip);
  u->set_ipv4(p.ipv4_address());
  u->set_ptp_ipv4(p.ipv4_local());
  u->set_ipv6(p.ipv6_address());
  u->set_ptp_ipv6(p.ipv6_local());
  u->set_user_agent(w.request.user_agent());
  u->set_hostname(w.params.hostname().empty() ? w.request.hostname() : w.params.hostname());
  u->set_rx(w.stats.bytes_in());
  u->set_tx(w.stats.bytes_out());
  u->set_connected_at(w.tunnel_start);
  u->set_session(session_text(w.session_id));
  u->set_tls_cipher(w.stats.tls_cipher());
  u->set_dtls_cipher(w.stats.dtls_cipher());
  u->set_cstp_compression(w.stats.cstp_compression());
  u->set_dtls_compression(w.stats.dtls_compression());
  bool gp = w.request.protocol() == ipc::GLOBALPROTECT;
  u->set_protocol(protocol_name(w.request.protocol()));
  if (!w.stats.dtls_cipher().empty()) u->set_datagram(gp ? "esp" : "dtls");
  // The HIP report (up to 64 kB, the client's to choose) only in one user's details, and cut
  // so that a row stays well inside one control message: never in lists or events.
  if (detail && w.hip_report.size() > kRowHipReport) {
    size_t cut = kRowHipReport;  // not inside a UTF-8 character (proto3 strings must be UTF-8)
    while (cut > 0 && (static_cast<unsigned char>(w.hip_report[cut]) & 0xC0) == 0x80) --cut;
    u->set_hip_report(w.hip_report.substr(0, cut) + "\n[... " + std::to_string(w.hip_report.size() - cut) +
                      " more bytes]\n");
  } else if (detail)
    u->set_hip_report(w.hip_report);
  for (const auto& d : p.dns()) u->add_dns(d);
  for (const auto& d : p.nbns()) u->add_nbns(d);
  u->set_restrict_to_routes(!p.allowed_destinations().empty());
  std::string error;
  if (auto f = parse_port_filter(p.restrict_to_ports(), &error))
    u->set_restrict_to_ports(port_filter_occtl(*f));
  u->set_limit_rx(p.rx_per_sec());
  u->set_limit_tx(p.tx_per_sec());
  for (const auto& d : p.split_dns()) u->add_split_dns(d);
  for (auto& x : routes_occtl_form(p.route_include())) u->add_routes(std::move(x));
  for (auto& x : routes_occtl_form(p.route_exclude())) u->add_no_routes(std::move(x));
  u->set_dpd(p.dpd());
  u->set_keepalive(p.keepalive());
  if (const Session* s = sessions_.find(w.session_id)) {
    for (const auto& r : s->settings.iroutes()) u->add_iroutes(r);
    u->set_vhost(s->vhost);
  }
}

void Server::publish_event(const char* kind, const WorkerProc& w, const std::string& reason) {
  if (!control_ || control_->watchers() == 0) return;
  ctl::CtlReply r;
  r.set_ok(true);
  auto* e = r.mutable_event();
  e->set_kind(kind);
  e->set_time(time(nullptr));
  e->set_reason(reason);
  fill_user_row(w, e->mutable_user(), false);
  control_->broadcast(r);
}

ctl::CtlReply Server::ctl_sessions() const {
  ctl::CtlReply r;
  r.set_ok(true);
  for (const Session* s : sessions_.all()) {
    auto* row = r.add_sessions();
    row->set_session(session_text(s->id));
    row->set_username(s->user);
    row->set_groupname(s->group);
    row->set_vhost(s->vhost);
    if (s->ipv4) row->set_ipv4(s->ipv4->to_string());
    if (s->ipv6) row->set_ipv6(s->ipv6->to_string());
    row->set_created(s->created);
    row->set_state(s->worker > 0 ? "connected" : "disconnected");
    row->set_protocol(protocol_name(s->protocol));
    if (s->worker > 0) {
      auto w = workers_.find(s->worker);
      if (w != workers_.end()) row->set_tunnel_id(w->second->id);
    }
  }
  // Logins whose cookie has not opened a tunnel (yet): sec-mod holds them as sessions too.
  for (const Login* l : sessions_.logins()) {
    auto* row = r.add_sessions();
    row->set_session(session_text(l->id));
    row->set_username(l->user);
    row->set_groupname(l->group);
    row->set_vhost(l->vhost);
    row->set_created(l->created);
    row->set_state("authenticated");
  }
  return r;
}

ctl::CtlReply Server::ctl_end(const ctl::Select& sel, bool terminate) {
  uint32_t n = 0;
  for (auto& [pid, w] : workers_) {
    if (w->phase != WorkerPhase::Tunnel || !selected(*w, sel)) continue;
    ipc::MainToWorker m;
    m.mutable_terminate()->set_reason(terminate ? "terminated by the administrator"
                                                : "disconnected by the administrator");
    // As occtl's: both end the session for good (ocserv's disconnect_proc invalidates the
    // session id), so a disconnected user cannot come straight back with the cookie; under
    // persistent-cookies (as ocserv's) a 'disconnect' leaves the cookie valid for cookie-timeout.
    m.mutable_terminate()->set_tell_client(true);
    w->terminate_logout = w->terminate_logout || terminate || !cfg().for_host(w->vhost).persistent_cookies;
    (void)send_to_worker(*w, m);
    ++n;
  }
  // "terminate session SID" also ends a session that has no tunnel right now, or a login that
  // never opened one: main forgets it and sec-mod kills its cookie.
  if (terminate && sel.by_case() == ctl::Select::kSession) {
    std::optional<uint64_t> sid;
    for (const Session* s : sessions_.all())
      if (session_text(s->id) == sel.session() && s->worker <= 0) sid = s->id;
    for (const Login* l : sessions_.logins())
      if (session_text(l->id) == sel.session()) sid = l->id;
    if (sid) {
      end_session(*sid);
      ++n;
    }
  }
  if (n == 0) return error_reply("no such user, id or session connected");
  log_.info(terminate ? "terminated " : "disconnected ", n, n == 1 ? " tunnel/session" : " tunnels/sessions",
            " on request");
  ctl::CtlReply r;
  r.set_ok(true);
  r.set_affected(n);
  return r;
}

}  // namespace sslvpn::mainproc
