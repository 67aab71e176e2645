// Server: the NVM collector (sslvpnd-collector). main binds nvm-collector-port and keeps the
// sockets (a restarted collector gets the same ones: datagrams wait in the kernel meanwhile),
// starts the collector with them, tells it every tunnel that comes up or goes down, and
// forwards "show flows" and "show collector" to it. main never waits for it: queries are
// answered when its answer arrives (or with an error after kCollectorQueryTimeout).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cstdio>

#include "common/text.hpp"
#include "main/control_socket.hpp"
#include "main/server.hpp"
#include "main/spawn.hpp"

namespace sslvpn::mainproc {
namespace {

constexpr int kCollectorMainFd = 3;
constexpr int kCollectorFirstUdpFd = 4;
constexpr int kCollectorSecModFd = 7;      // nvm-dtls: signatures for its DTLS handshakes
constexpr int kCollectorRcvBuf = 8 << 20;  // bursts of IPFIX wait here while the store writes
constexpr double kCollectorRestartDelay = 2.0;
constexpr double kCollectorQueryTimeout = 30.0;

std::string session_hex(uint64_t sid) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(sid));
  return buf;
}

int64_t now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

void Server::open_collector() {
  if (cfg().nvm_collector_port == 0) return;
  std::string host = cfg().udp_listen_host.empty() ? cfg().listen_host : cfg().udp_listen_host;
  collector_udp_ = bind_passive(
      host, cfg().nvm_collector_port, SOCK_DGRAM, "nvm-collector-port",
      [](int fd, int family) {
        int size = kCollectorRcvBuf;
        if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
          (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        // Which local address each datagram came to: DTLS answers from that one. And how many
        // the kernel dropped while the buffer was full (show collector).
        int one = 1;
        (void)::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
        if (family == AF_INET6)
          (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
        else
          (void)::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
      },
      netns_.get());
  ev_init(&collector_restart_, &Server::collector_restart_cb);
  collector_restart_.data = this;
  start_collector();
}

void Server::start_collector() {
  auto pair = make_ipc_pair();
  if (!pair.ok()) {
    log_.error("NVM collector: socketpair failed");
    return;
  }
  std::vector<std::pair<int, int>> fds{{pair->second.get(), kCollectorMainFd}};
  for (size_t i = 0; i < collector_udp_.size(); ++i)
    fds.emplace_back(collector_udp_[i].get(), kCollectorFirstUdpFd + static_cast<int>(i));
  // DTLS: the collector signs its handshakes through sec-mod like a worker, on a channel of
  // its own that sec-mod serves signatures on and nothing else.
  std::string ca_pem;
  Result<std::pair<UniqueFd, UniqueFd>> secmod_pair = Errc::NotFound;
  if (cfg().nvm_dtls) {
    if (!cfg().nvm_dtls_ca.empty()) {
      auto ca = read_file(cfg().nvm_dtls_ca);
      if (!ca) {
        log_.error("nvm-dtls-ca: cannot read ", cfg().nvm_dtls_ca, "; the collector stays off");
        return;
      }
      ca_pem = std::move(*ca);
    }
    secmod_pair = make_ipc_pair();
    if (!secmod_pair.ok()) return;
    collector_id_ = next_worker_id_++;
    ipc::MainToSecMod attach;
    attach.mutable_attach_worker()->set_worker_id(collector_id_);
    attach.mutable_attach_worker()->set_client_ip("nvm-collector");
    attach.mutable_attach_worker()->set_signer_only(true);
    if (!secmod_out_.send(attach, secmod_pair->second.get())) return;
    fds.emplace_back(secmod_pair->first.get(), kCollectorSecModFd);
  }
  auto pid = spawn_helper(helper_path("sslvpnd-collector"), {"sslvpnd-collector"}, fds);
  if (!pid.ok()) {
    log_.error("cannot start ", helper_path("sslvpnd-collector"));
    return;
  }
  collector_pid_ = *pid;
  collector_out_.reset();
  collector_ = IpcChannel(std::move(pair->first));
  ipc::MainToCollector m;
  ipc::CollectorStartup* st = m.mutable_startup();
  st->set_uid(s_.identity.uid);
  st->set_gid(s_.identity.gid);
  st->set_seccomp(cfg().isolate_workers);
  st->set_log_level(s_.log_level);
  st->set_use_syslog(s_.use_syslog);
  st->set_store(cfg().nvm_store);
  st->set_retention_days(cfg().nvm_retention_days);
  st->set_retention_bytes(cfg().nvm_retention_mb << 20);
  st->set_anonymize_users(cfg().nvm_anonymize_users);
  st->set_truncate_args(cfg().nvm_truncate_args);
  st->set_drop_private(cfg().nvm_drop_private_destinations);
  st->set_store_unattributed(cfg().nvm_store_unattributed);
  st->set_dst_index(cfg().nvm_store_dst_index);
  st->set_listen("udp/" + std::to_string(cfg().nvm_collector_port));
  for (const IpNet& n : cfg().nvm_exporters) st->add_exporters(n.to_string());
  st->set_udp_sockets(static_cast<uint32_t>(collector_udp_.size()));
  st->set_gateway_name(cfg().nvm_gateway_name);
  st->set_dtls(cfg().nvm_dtls);
  if (cfg().nvm_dtls) {
    st->set_cert_chain_pem(s_.certs.chain_pem);
    st->set_dtls_ca_pem(ca_pem);
  }
  (void)collector_out_.send(m);
  // The collector learns the tunnels that are up now; later ones as they come.
  for (const auto& [wpid, w] : workers_)
    if (w->phase == WorkerPhase::Tunnel) collector_session(*w, true);
  ev_io_init(&collector_io_, &Server::collector_cb, collector_.raw_fd(), EV_READ);
  collector_io_.data = this;
  ev_io_start(loop_, &collector_io_);
}

void Server::collector_cb(struct ev_loop*, ev_io* w, int) {
  static_cast<Server*>(w->data)->on_collector_readable();
}

void Server::collector_restart_cb(struct ev_loop*, ev_timer* w, int) {
  auto* s = static_cast<Server*>(w->data);
  if (s->collector_pid_ < 0 && !s->collector_udp_.empty()) s->start_collector();
}

void Server::on_collector_readable() {
  for (int i = 0; i < 64; ++i) {
    auto r = collector_.recv<ipc::CollectorToMain>(true);
    if (!r.ok()) {
      if (r.error() == Errc::Timeout) return;
      if (r.error() != Errc::Closed)
        log_.error("NVM collector: unreadable message (", errc_name(r.error()), "); restarting it");
      ev_io_stop(loop_, &collector_io_);
      collector_.close();
      return;  // its exit (child_cb) restarts it
    }
    if (r->second.valid()) {
      log_.error("NVM collector sent a descriptor; stopping it");
      ::kill(collector_pid_, SIGKILL);
      return;
    }
    const auto& m = r->first;
    if (m.has_answer()) {
      on_collector_answer(m.answer());
    } else if (m.has_ready()) {
      log_.debug("NVM collector ready");
    }
  }
}

void Server::on_collector_answer(const ipc::CollectorAnswer& a) {
  auto it = collector_queries_.find(a.token());
  if (it == collector_queries_.end()) return;  // answered already (timed out)
  ctl::CtlReply r;
  r.set_ok(a.error().empty());
  r.set_error(a.error());
  for (const auto& f : a.flows()) *r.add_flows() = f;
  if (a.has_status()) *r.mutable_collector() = a.status();
  r.set_more(a.more());
  if (!a.more()) collector_queries_.erase(it);
  if (control_) control_->answer(a.token(), std::move(r));
}

std::optional<ctl::CtlReply> Server::ask_collector(const ctl::CtlRequest& req, uint64_t token) {
  ctl::CtlReply err;
  err.set_ok(false);
  if (cfg().nvm_collector_port == 0 || collector_udp_.empty()) {
    err.set_error("the NVM collector is off (set nvm-collector-port)");
    return err;
  }
  if (collector_pid_ < 0 || !collector_.valid()) {
    err.set_error("the NVM collector is not running (restarting)");
    return err;
  }
  ipc::MainToCollector m;
  auto* q = m.mutable_query();
  q->set_token(token);
  if (req.has_show_flows())
    *q->mutable_flows() = req.show_flows();
  else
    q->set_status(true);
  if (!collector_out_.send(m)) {
    err.set_error("the NVM collector does not read its channel");
    return err;
  }
  collector_queries_[token] = ev_now(loop_) + kCollectorQueryTimeout;
  if (!ev_is_active(&collector_query_timer_)) {
    ev_timer_init(&collector_query_timer_, &Server::collector_query_cb, 1., 1.);
    collector_query_timer_.data = this;
    ev_timer_start(loop_, &collector_query_timer_);
  }
  return std::nullopt;
}

void Server::collector_query_cb(struct ev_loop*, ev_timer* w, int) {
  auto* s = static_cast<Server*>(w->data);
  s->expire_collector_queries(false);
  if (s->collector_queries_.empty()) ev_timer_stop(s->loop_, w);
}

void Server::expire_collector_queries(bool all) {
  double now = ev_now(loop_);
  for (auto it = collector_queries_.begin(); it != collector_queries_.end();) {
    if (!all && it->second > now) {
      ++it;
      continue;
    }
    ctl::CtlReply r;
    r.set_ok(false);
    r.set_error(all ? "the NVM collector stopped" : "the NVM collector did not answer");
    if (control_) control_->answer(it->first, std::move(r));
    it = collector_queries_.erase(it);
  }
}

void Server::on_collector_exit(int status) {
  collector_pid_ = -1;
  if (collector_id_ != 0) {  // its sec-mod channel (DTLS) ends with it
    ipc::MainToSecMod detach;
    detach.mutable_detach_worker()->set_worker_id(collector_id_);
    (void)secmod_out_.send(detach);
    collector_id_ = 0;
  }
  ev_io_stop(loop_, &collector_io_);
  collector_.close();
  collector_out_.reset();
  expire_collector_queries(true);
  if (draining_ || collector_udp_.empty()) return;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
    log_.error("the NVM collector was killed by the seccomp filter (forbidden system call)");
  else if (status != 0)
    log_.error("the NVM collector exited (status ", status, "); restarting it in ", kCollectorRestartDelay,
               " s");
  ev_timer_set(&collector_restart_, kCollectorRestartDelay, 0.);
  ev_timer_start(loop_, &collector_restart_);
}

void Server::collector_session(const WorkerProc& w, bool up) {
  if (collector_pid_ < 0 || !collector_.valid()) return;
  ipc::MainToCollector m;
  auto* s = m.mutable_session();
  s->set_tunnel_id(w.id);
  s->set_up(up);
  s->set_at_ms(up && w.tunnel_start ? static_cast<int64_t>(w.tunnel_start) * 1000 : now_ms());
  if (up) {
    s->set_user(w.params.username());
    s->set_group(w.params.group());
    s->set_session(session_hex(w.session_id));
    s->set_protocol(protocol_name(w.request.protocol()));
    s->set_ipv4(w.params.ipv4_address());
    s->set_ipv6(w.params.ipv6_address());
  }
  (void)collector_out_.send(m);
}

void Server::stop_collector() {
  // Closing its channel is the collector's signal to write what it holds and exit.
  ev_timer_stop(loop_, &collector_restart_);
  ev_io_stop(loop_, &collector_io_);
  collector_.close();
  collector_out_.reset();
}

}  // namespace sslvpn::mainproc
