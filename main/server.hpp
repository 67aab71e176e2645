// The main process: owns the listeners, starts sec-mod and one worker per connection, owns
// tunnel sessions (leases, TUN devices) and routes what the others report. Main trusts
// neither: every worker message is checked against the worker's phase (STYLE rule 5).
#pragma once

#include <ev.h>

#include <sys/types.h>
#include <array>
#include <deque>

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config.hpp"
#include "common/ipc_channel.hpp"
#include "common/keyed_hash.hpp"
#include "common/log.hpp"
#include "common/rate_bucket.hpp"
#include "ctl.pb.h"
#include "ipc.pb.h"
#include "main/admission.hpp"
#include "main/ban_db.hpp"
#include "main/listener.hpp"
#include "main/openvpn_mgmt_io.hpp"
#include "main/openvpn_status.hpp"
#include "main/os/utmp_log.hpp"
#include "main/queued_sender.hpp"
#include "main/scripts.hpp"
#include "main/sessions.hpp"
#include "main/udp/classifier.hpp"
#include "main/udp/openvpn_stateless.hpp"
#include "main/udp/path_checks.hpp"
#include "main/udp/reset_replies.hpp"
#include "main/udp/udp_socket.hpp"
#include "main/worker_ids.hpp"
#include "main/worker_routes.hpp"

namespace sslvpn::mainproc {

struct RuntimeIdentity {
  uid_t uid = 0;  // run-as-user
  gid_t gid = 0;  // run-as-group
};

class Server;

// Replaces control characters so a peer's text cannot forge log lines.
std::string sanitize_log_text(const std::string& in);

// The protocol's name as sslvpnctl, the collector and scripts show it.
inline const char* protocol_name(ipc::Protocol p) {
  return p == ipc::GLOBALPROTECT ? "globalprotect" : p == ipc::OPENVPN ? "openvpn" : "anyconnect";
}

struct WorkerProc {
  Server* owner = nullptr;
  uint64_t id = 0;
  pid_t pid = -1;
  std::string client_ip;
  uint16_t client_port = 0;
  std::string local_ip;                    // the server address the client connected to
  TcpService service = TcpService::Https;  // what the listener that accepted it serves
  std::optional<OvpnUdpStart> ovpn_udp;    // OpenVPN: the handshake main did (UDP), the client key (v2)
  std::string ovpn_peer;                   // OpenVPN over UDP: "ip|port" it serves (ovpn_peers_)
  // OpenVPN over UDP: main's copy of the client's socket until the tunnel is granted, when
  // its receive buffer grows (enlarge_tunnel_rcvbuf): a login's socket keeps the default.
  UniqueFd ovpn_socket;
  // Datagrams from new addresses passed to the worker to check and not yet answered; when the
  // worker says one authenticated, main makes a socket connected to its sender (for OpenVPN
  // that address becomes ovpn_peer).
  PathCheckWindow path_checks;
  uint32_t udp_handoffs = 0;  // sockets (or datagrams to check) handed over so far (UdpSocket.handoff)
  IpcChannel channel;
  std::optional<QueuedSender> out;  // main's sends on `channel` (never blocking; bounded)
  ev_io io{};
  ev_timer auth_timer{};
  WorkerPhase phase = WorkerPhase::Login;
  ipc::SessionRequest request;             // while AwaitSession / ConnectScript
  std::optional<TunnelGrant> grant;        // while ConnectScript
  uint64_t session_id = 0;                 // from AwaitSession on
  std::string vhost;                       // its session's [vhost:NAME] ("" = default), from then on
  std::shared_ptr<const Config> host_cfg;  // that host's configuration (scripts), from Tunnel on
  ipc::TunnelParams params;                // from Tunnel on
  time_t tunnel_start = 0;
  time_t last_acct = 0;        // when the last accounting record went out
  uint32_t acct_interval = 0;  // interim updates for this tunnel (0: none)
  ipc::SessionStats stats;
  std::optional<ipc::SessionEnd> end;    // what the worker said before exiting
  std::string dtls_id;                   // raw DTLS session id of its tunnel ("" = no DTLS)
  uint32_t esp_spi = 0;                  // GlobalProtect: the SPI its client sends ESP with (0 = none)
  std::string hip_report;                // GlobalProtect: the client's HIP report, if it sent one
  std::string udp_peer;                  // "addr:port" its UDP socket is connected to
  double last_udp_handoff = -1e9;        // ev_now() of the last UDP socket handed over (client's address)
  double last_udp_handoff_other = -1e9;  // ... from another address (roaming, NAT)
  bool terminate_logout = false;         // an admin's "terminate": the cookie dies with the tunnel
  bool user_logout = false;              // the user logged out elsewhere (GlobalProtect logout.esp)
  bool killed = false;                   // SIGKILL sent; its exit is on the way
  bool in_utmp = false;                  // use-utmp: its login is in utmp, its logout is owed
  std::vector<std::string> routed;       // the iroutes route-add-cmd ran for (route-del-cmd's)
  std::string route_del_cmd;             // what undoes them: the session's route-del-cmd
};

// The HTTPS front's part of a worker's startup message: each host's login page, the [vhost:]
// sections with their chains (in c.vhosts' order), GlobalProtect's settings (server_spawn.cpp).
// One host's certificates, as its workers present them: read by main at start and on reload.
struct HostCerts {
  std::string chain_pem;                 // the first server-cert's chain (PEM, leaf first)
  std::vector<std::string> more_chains;  // the further server-cert lines' chains, in order
  std::string ocsp_response;             // ocsp-response's DER, about chain_pem's leaf; empty: none
};
// A startup message's certificate fields for `h`: the default host's, or a [vhost:]'s.
void set_startup_certs(const HostCerts& h, ipc::WorkerStartup* st);
void set_startup_certs(const HostCerts& h, ipc::VirtualHostStartup* vhost);

void fill_https_startup(const Config& c, std::span<const HostCerts> vhost_certs, ipc::WorkerStartup& st);

struct ServerSettings {
  // Parsed once; never changed in place. Reload swaps in a new value whole, and what was
  // handed out (sessions, the pools) keeps the one it was given.
  std::shared_ptr<const Config> config;
  std::string config_path;
  std::string config_text;
  HostCerts certs;                     // the default host's
  std::vector<HostCerts> vhost_certs;  // each [vhost:NAME]'s, in config->vhosts' order
  std::string openvpn_wrap_key;        // openvpn-tls-crypt / -tls-auth's static key (256 bytes), or empty
  std::string openvpn_v2_key;          // openvpn-tls-crypt-v2's server key (128 bytes), or empty
  std::vector<std::string> warnings;   // the configuration's, "FILE:LINE: text" (a reload shows them)
  RuntimeIdentity identity;
  int log_level = 2;
  bool use_syslog = false;
};

// A UDP listener and the classifier that routes its datagrams (server_udp.cpp).
struct UdpListener {
  Server* owner = nullptr;
  UniqueFd fd;
  uint16_t port = 0;
  std::unique_ptr<udp::Classifier> classifier;  // DTLS, ESP
  std::unique_ptr<udp::OvpnStateless> ovpn;     // OpenVPN: the stateless handshake instead
  const char* name() const { return classifier ? classifier->name() : "OpenVPN"; }
  ev_io io{};
};

class Server final : private udp::Directory {
 public:
  // `netns`: listen-netns, where the listening and per-client UDP sockets are made (null: here).
  Server(struct ev_loop* loop, Logger& log, ServerSettings settings, std::vector<TcpListener> listeners,
         std::unique_ptr<NetnsSockets> netns = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts sec-mod and waits for it to be ready; then accepts clients. Throws on failure.
  void start();
  // Exit code for main() once the loop ended.
  int exit_code() const noexcept { return exit_code_; }

 private:
  const Config& cfg() const noexcept { return *s_.config; }

 public:
 private:
  static void accept_cb(struct ev_loop*, ev_io* w, int);
  static void accept_resume_cb(struct ev_loop*, ev_timer* w, int);
  static void secmod_cb(struct ev_loop*, ev_io* w, int);
  static void worker_cb(struct ev_loop*, ev_io* w, int);
  static void worker_timeout_cb(struct ev_loop*, ev_timer* w, int);
  static void child_cb(struct ev_loop*, ev_child* w, int);
  static void signal_cb(struct ev_loop*, ev_signal* w, int);
  static void housekeeping_cb(struct ev_loop*, ev_timer* w, int);
  static void drain_cb(struct ev_loop*, ev_timer* w, int);
  void start_drain(uint32_t ms);
  // Re-reads the configuration (SIGHUP, sslvpnctl reload). On an error nothing changes and
  // `error` says why; `notes` lists changed keys that wait for a restart.
  bool reload(std::string* error, std::vector<std::string>* notes);
  static void acct_cb(struct ev_loop*, ev_timer* w, int);
  static constexpr double kAcctTick = 2.0;  // how often interim accounting is checked

  void on_accept(int listen_fd);
  void pause_accepting_for_descriptors(int err);  // err: the errno that said so
  void on_secmod_readable();
  void on_worker_readable(WorkerProc& w);
  void on_child_exit(pid_t pid, int status);
  void on_worker_exit(WorkerProc& w, int status);
  // Starts a worker for the connection; its id, or 0 when it could not be started.
  // `local_ip` is the address the client connected to when a PROXY header named it (else the
  // socket's own).
  uint64_t spawn_worker(UniqueFd client, const std::string& ip, uint16_t port, TcpService service,
                        std::optional<OvpnUdpStart> ovpn = std::nullopt, const std::string& local_ip = {});
  // Login admission (server_admission.cpp).
  AdmissionLimits admission_limits() const;
  bool start_admitted(WaitingConnection c);  // false: the worker could not be started
  bool hello_resumes(int fd) const;
  // listen-proxy-proto: reads the connection's PROXY header; false when it has none (closed).
  bool take_proxy_header(int fd, std::string* ip, uint16_t* port, std::string* local_ip) const;
  void admit_waiting();
  void end_login_slot(uint64_t worker_id);
  static void admission_cb(struct ev_loop*, ev_timer* w, int);
  void kill_worker(WorkerProc& w, const char* why);
  // Sends without blocking; a worker that does not read its channel is killed.
  bool send_to_worker(WorkerProc& w, const ipc::MainToWorker& m, int pass_fd = -1);
  void shutdown(int code);
  ipc::WorkerStartup worker_startup(const WorkerProc& w) const;
  std::string ticket_key_for(const std::string& ip) const;
  WorkerProc* worker_by_id(uint64_t id);

  // Tunnel sessions (server_sessions.cpp).
  void on_session_request(WorkerProc& w, const ipc::SessionRequest& req);
  void on_session_open_reply(const ipc::SessionOpenReply& r);
  // A cookie sec-mod marked in use for a tunnel that will not run: it may be used again.
  void hand_cookie_back(const ipc::SessionOpenReply& r);
  // sec-mod learns that no tunnel uses session `sid` now (`logout`: its cookie ends too).
  void secmod_detach(uint64_t sid, bool logout);
  // A session without a tunnel, or a login that never opened one, ends: main forgets it and
  // sec-mod drops its cookie.
  void end_session(uint64_t sid);
  void on_connect_script_exit(pid_t script, int status);
  // The script's output over the tunnel's settings; why the tunnel is refused, or null.
  const char* apply_connect_output(WorkerProc& w, const std::optional<std::string>& text);
  void grant_tunnel(WorkerProc& w);
  // w's session never got its tunnel through w: detached (given back what it took), and sec-mod
  // told so that its cookie can open another.
  void abandon_session(WorkerProc& w);
  void refuse_tunnel(WorkerProc& w, ipc::SessionReply::Refusal kind, const std::string& reason);
  void end_tunnel(WorkerProc& w);
  // replace-same-clients: sessions of `user` that a newer one replaced end, with their tunnels
  // (the clients are told not to come back) and their cookies.
  void end_replaced(const std::vector<SessionManager::Replaced>& gone, const std::string& user);
  // Starting workers (server_spawn.cpp).
  struct PendingSpawn {
    std::unique_ptr<WorkerProc> w;
    UniqueFd main_end;            // main's end of the worker's channel
    std::array<UniqueFd, 3> fds;  // the worker's: channel to main, channel to sec-mod, client
  };
  struct EarlyExit {
    pid_t pid;
    double at;
  };
  void start_zygote();
  void send_zygote_cert_chains();
  bool ask_zygote(const PendingSpawn& p);
  bool spawn_direct(PendingSpawn p);  // false: it could not start (the connection is dropped)
  void finish_spawn(PendingSpawn p, pid_t pid);
  void forget_spawn(const WorkerProc& w);
  static void zygote_cb(struct ev_loop*, ev_io* w, int);
  static void zygote_timer_cb(struct ev_loop*, ev_timer* w, int);
  void on_zygote_readable();
  void zygote_failed(const char* why);
  void note_early_exit(pid_t pid);
  // acct = radius[...]: a Start, Interim-Update or Stop record for w's tunnel, via sec-mod.
  void send_accounting(WorkerProc& w, ipc::AccountingRecord::Kind kind, uint32_t terminate_cause = 0);
  ScriptEnv script_env(const WorkerProc& w, const char* reason) const;
  void add_openvpn_script_env(ScriptEnv& env, const WorkerProc& w, const char* reason) const;
  // The configuration of w's session's host (its scripts): the session's own, else the host's now.
  const Config& host_config(const WorkerProc& w) const {
    return w.host_cfg ? *w.host_cfg : cfg().for_host(w.vhost);
  }
  void run_host_update_script(const WorkerProc& w);
  void run_disconnect_script(const WorkerProc& w);

  // Control socket (server_ctl.cpp).
  // nullopt: answered later through control_->answer(token, ...) (the collector's queries).
  std::optional<ctl::CtlReply> on_ctl(const ctl::CtlRequest& req, uint64_t token);
  ctl::CtlReply ctl_status() const;
  ctl::CtlReply ctl_users(const ctl::Select* only) const;
  // detail: one user's rows (show user/id), with the GlobalProtect HIP report.
  void fill_user_row(const WorkerProc& w, ctl::UserRow* u, bool detail) const;
  // show events: a tunnel came up ("connect") or went down ("disconnect").
  void publish_event(const char* kind, const WorkerProc& w, const std::string& reason);
  ctl::CtlReply ctl_sessions() const;
  ctl::CtlReply ctl_end(const ctl::Select& sel, bool terminate);
  ctl::CtlReply ctl_bans(bool banned_only) const;
  bool selected(const WorkerProc& w, const ctl::Select& sel) const;

  // UDP demux (server_udp.cpp).
  static void udp_cb(struct ev_loop*, ev_io* w, int);
  void start_udp();
  void on_udp_readable(UdpListener& l);
  // `ip`, `port`: the sender, as on_udp_readable already formatted it.
  void hand_udp_socket(WorkerProc& w, const UdpListener& l, const struct Datagram& d, const std::string& ip,
                       uint16_t port, std::span<const uint8_t> bytes, bool hello);
  pid_t worker_by_dtls_id(std::string_view id) const override;
  pid_t only_dtls_worker_at(std::string_view ip) const override;
  pid_t worker_by_esp_spi(uint32_t spi) const override;
  bool has_datagram_path(pid_t worker) const override;
  void open_udp(uint16_t port, const std::string& host, std::unique_ptr<udp::Classifier> (*make)());
  // OpenVPN over UDP (server_openvpn.cpp).
  void open_openvpn_udp(uint16_t port, const std::string& host);
  ovpn::WrapKeys openvpn_wrap_keys() const;
  void on_openvpn_datagram(UdpListener& l, const Datagram& d, const std::string& ip, uint16_t port,
                           std::span<const uint8_t> bytes);
  void float_openvpn(UdpListener& l, const Datagram& d, const std::string& ip, uint16_t port,
                     std::span<const uint8_t> bytes);
  // A datagram from a client's new address goes to its worker to check (no socket); false if
  // not sent (the worker's channel is backed up). on_udp_moved: the worker says it passed.
  bool send_path_check(WorkerProc& w, const UdpListener& l, const Datagram& d, std::string peer,
                       std::span<const uint8_t> bytes);
  void on_udp_moved(WorkerProc& w, uint32_t handoff);
  void start_openvpn_udp(UdpListener& l, const Datagram& d, const std::string& ip, uint16_t port,
                         const udp::OvpnDecision& dec, std::span<const uint8_t> bytes);
  void fill_openvpn_startup(const WorkerProc& w, ipc::WorkerStartup& st) const;
  // Forgets OpenVPN peers whose start was dropped (a login queue timeout) once kPeerHold passed.
  void expire_openvpn_peers();
  // tls-crypt-v2 over TCP: the client key of the connection's first packet (peeked), or none.
  std::optional<OvpnUdpStart> openvpn_tcp_client_key(int fd) const;
  // A fresh SPI no live tunnel receives with (GlobalProtect's ESP), or 0 if none was found.
  uint32_t fresh_esp_spi() const;
  // openvpn-status: openvpn's status file of every session; openvpn-management: openvpn's
  // management interface (server_status.cpp).
  void start_status_timer();
  static void status_cb(struct ev_loop*, ev_timer* w, int);
  void write_openvpn_status();
  std::vector<StatusClient> status_clients() const;
  void open_management();
  ManagementBackend management_backend();
  // The selected tunnels end without a logout: their clients are told to reconnect (OpenVPN's
  // RESTART; AnyConnect's reconnect with the cookie) and come back into their sessions.
  uint32_t restart_tunnels(const ctl::Select& sel);
  // The NVM collector (server_collector.cpp).
  void open_collector();
  void start_collector();
  void stop_collector();
  static void collector_cb(struct ev_loop*, ev_io* w, int);
  static void collector_restart_cb(struct ev_loop*, ev_timer* w, int);
  static void collector_query_cb(struct ev_loop*, ev_timer* w, int);
  void on_collector_readable();
  void on_collector_answer(const ipc::CollectorAnswer& a);
  void on_collector_exit(int status);
  // Tells the collector that w's tunnel came up or went down.
  void collector_session(const WorkerProc& w, bool up);
  // use-utmp: w's tunnel as a login in utmp and wtmp, and its logout (server_sessions.cpp).
  void utmp_session(WorkerProc& w, bool up);
  void run_route_cmds(WorkerProc& w, bool up);
  void end_stale_utmp();  // at start: logins an earlier run left in utmp
  // show flows / show collector: forwarded (nullopt: the answer comes later) or refused now.
  std::optional<ctl::CtlReply> ask_collector(const ctl::CtlRequest& req, uint64_t token);
  // Answers queries the collector left unanswered too long (all: every one, it is gone).
  void expire_collector_queries(bool all);
  // sec-mod ended a session for good (GlobalProtect logout): its tunnel, if any, ends too.
  void on_session_expired(const ipc::SessionExpired& m);
  void on_secmod_reloaded(const ipc::SecModReloaded& m);

  struct ev_loop* loop_;
  Logger& log_;
  ServerSettings s_;
  SessionManager sessions_;
  std::vector<TcpListener> listeners_;
  std::unique_ptr<NetnsSockets> netns_;  // listen-netns; null: main's own namespace
  std::vector<ev_io> accept_io_;
  ev_timer accept_pause_{};  // rate-limit-ms or no descriptors: the listeners rest until it fires
  static constexpr double kDescriptorPause = 0.1;
  double last_fd_warning_ = -1e9;
  ev_timer drain_timer_{};  // server-drain-ms: the shutdown waits until it fires
  bool draining_ = false;
  IpcChannel secmod_;
  // The worker zygote (`sslvpnd-worker --zygote`); invalid when workers are started on their own.
  IpcChannel zygote_;
  pid_t zygote_pid_ = -1;
  QueuedSender zygote_out_{loop_, zygote_, kMaxQueuedToZygote};  // spawn requests (never blocking)
  double zygote_progress_ = 0;  // ev_now() of its last answer (or of the first request waiting)
  ev_io zygote_io_{};
  ev_timer zygote_timer_{};
  std::unordered_map<uint64_t, PendingSpawn> pending_spawns_;  // worker id -> waiting for the zygote
  // Certificates and the keys sec-mod holds: `keys_certs_` match them (the start's, then those
  // of each reload whose keys sec-mod loaded); each reload's new certificates wait in
  // `reload_certs_`, in order, for sec-mod's answer. When it kept its keys and no later reload
  // waits, main goes back to `keys_certs_`.
  struct HostsCerts {
    HostCerts certs;
    std::vector<HostCerts> vhost_certs;
    std::vector<std::string> vhost_names;
  };
  HostsCerts current_certs() const;
  HostsCerts keys_certs_;
  std::deque<HostsCerts> reload_certs_;
  std::deque<EarlyExit> early_exits_;  // unknown children reaped lately (a worker before its answer)
  QueuedSender secmod_out_{loop_, secmod_, kMaxQueuedToSecMod};  // sends to sec-mod (never blocking)
  pid_t secmod_pid_ = -1;
  ev_io secmod_io_{};
  ev_child child_w_{};
  ev_signal sig_term_{}, sig_int_{}, sig_hup_{};
  uint64_t next_worker_id_ = 1;
  std::unordered_map<pid_t, std::unique_ptr<WorkerProc>> workers_;
  struct ConnectScript {
    pid_t worker;
    std::string output;  // the file it may write (main/connect_output.hpp), "" if none
  };
  std::unordered_map<pid_t, ConnectScript> connect_scripts_;  // by the script's pid
  std::unordered_map<pid_t, const char*> route_scripts_;      // route-add/del-cmd shells, by pid
  std::string connect_output_dir_;  // prepare_connect_output_dir(), at the first script
  std::vector<std::unique_ptr<UdpListener>> udp_listeners_;
  std::unordered_map<std::string, pid_t> dtls_ids_;  // DTLS session id -> worker pid
  // Client address -> workers with a DTLS path: NAT rebinding looks up one address, not every worker.
  std::unordered_multimap<std::string, pid_t, KeyedStringHash> dtls_by_ip_;
  std::unordered_map<uint32_t, pid_t> esp_spis_;  // ESP SPI (client to server) -> worker pid
  // OpenVPN over UDP: "ip|port" -> when main started (or queued) a worker for it. A packet
  // that returns a cookie again before the worker's socket takes over starts nothing.
  std::unordered_map<std::string, double, KeyedStringHash> ovpn_peers_;
  // Reset replies a second (and the burst): each costs an HMAC and a datagram of about the
  // request's size, so a flood of spoofed resets cannot turn main into a reflector.
  RateBucket ovpn_replies_{1000, 1000};
  udp::ResetReplies ovpn_reset_replies_;           // ... and each reset (by its session id) twice a second
  double ovpn_old_v2_logged_ = -60;                // when an old tls-crypt-v2 client's drop was last logged
  std::unordered_map<uint64_t, pid_t> pid_by_id_;  // worker id -> pid
  std::unordered_map<uint32_t, uint64_t> id_by_peer_id_;  // its low 24 bits -> worker id
  int exit_code_ = 0;
  std::unique_ptr<class ControlSocket> control_;
  // The NVM collector: its sockets (kept across its restarts), channel and pending queries.
  std::vector<UniqueFd> collector_udp_;
  IpcChannel collector_;
  QueuedSender collector_out_{loop_, collector_, kMaxQueuedToCollector};
  pid_t collector_pid_ = -1;
  uint64_t collector_id_ = 0;  // its peer id in sec-mod (nvm-dtls), 0: none
  ev_io collector_io_{};
  ev_timer collector_restart_{};
  ev_timer collector_query_timer_{};
  std::unordered_map<uint64_t, double> collector_queries_;  // control token -> deadline
  UtmpLog utmp_;
  double utmp_warned_ = -1e9;  // ev_now() of the last warning that utmp or wtmp was not written
  BanDb bans_;
  LoginAdmission admission_{AdmissionLimits{}};
  std::array<uint8_t, 32> ticket_secret_{};  // random per start: TLS tickets die with the process
  ev_timer admission_timer_{};               // frees held slots and closes connections that waited too long
  ev_timer housekeeping_{};
  ev_timer status_timer_{};  // openvpn-status's interval
  std::unique_ptr<ManagementServer> management_;
  time_t status_failed_at_ = 0;  // the last failed write's warning (at most one in 10 minutes)
  ev_timer acct_timer_{};
  // totals for "show status"
  time_t up_since_ = time(nullptr);
  time_t stats_reset_at_ = up_since_;  // server-stats-reset-time: the totals count from here
  uint64_t total_tunnels_ = 0;
  uint64_t auth_failures_ = 0;
  uint64_t closed_rx_ = 0, closed_tx_ = 0;
};

}  // namespace sslvpn::mainproc
