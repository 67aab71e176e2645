// The main process: owns the listeners, starts sec-mod and one worker per connection, and
// routes what they report. Main trusts neither: every worker message is checked (STYLE rule 5).
#pragma once

#include <ev.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config.hpp"
#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "ipc.pb.h"

namespace sslvpn::mainproc {

struct RuntimeIdentity {
  uid_t uid = 0;  // run-as-user
  gid_t gid = 0;  // run-as-group
};

class Server;

struct WorkerProc {
  Server* owner = nullptr;
  uint64_t id = 0;
  pid_t pid = -1;
  std::string client_ip;
  uint16_t client_port = 0;
  IpcChannel channel;
  ev_io io{};
  ev_timer auth_timer{};
};

struct ServerSettings {
  Config config;
  std::string config_path;
  std::string config_text;
  std::string cert_chain_pem;
  RuntimeIdentity identity;
  int log_level = 2;
  bool use_syslog = false;
};

class Server {
 public:
  Server(struct ev_loop* loop, Logger& log, ServerSettings settings, std::vector<UniqueFd> listeners);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts sec-mod and waits for it to be ready; then accepts clients. Throws on failure.
  void start();
  // Exit code for main() once the loop ended.
  int exit_code() const noexcept { return exit_code_; }

 private:
  static void accept_cb(struct ev_loop*, ev_io* w, int);
  static void secmod_cb(struct ev_loop*, ev_io* w, int);
  static void worker_cb(struct ev_loop*, ev_io* w, int);
  static void worker_timeout_cb(struct ev_loop*, ev_timer* w, int);
  static void child_cb(struct ev_loop*, ev_child* w, int);
  static void signal_cb(struct ev_loop*, ev_signal* w, int);

  void on_accept(int listen_fd);
  void on_secmod_readable();
  void on_worker_readable(WorkerProc& w);
  void on_child_exit(pid_t pid, int status);
  void spawn_worker(UniqueFd client, const std::string& ip, uint16_t port);
  void kill_worker(WorkerProc& w, const char* why);
  void shutdown(int code);
  ipc::WorkerStartup worker_startup(const WorkerProc& w) const;

  struct ev_loop* loop_;
  Logger& log_;
  ServerSettings s_;
  std::vector<UniqueFd> listeners_;
  std::vector<ev_io> accept_io_;
  IpcChannel secmod_;
  pid_t secmod_pid_ = -1;
  ev_io secmod_io_{};
  ev_child child_w_{};
  ev_signal sig_term_{}, sig_int_{}, sig_hup_{};
  uint64_t next_worker_id_ = 1;
  std::unordered_map<pid_t, std::unique_ptr<WorkerProc>> workers_;
  int exit_code_ = 0;
};

}  // namespace sslvpn::mainproc
