// sec-mod's event loop: holds the server key, checks logins, issues cookies. Every worker is a
// hostile peer; each request is checked against kWorkerRoutes (STYLE rule 5) before it runs.
#pragma once

#include <ev.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "common/config.hpp"
#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "ipc.pb.h"
#include "sec-mod/cookie_db.hpp"
#include "sec-mod/plain_auth.hpp"
#include "sec-mod/server_key.hpp"

namespace sslvpn::secmod {

// A worker's login state as sec-mod sees it. Values are bits so a route can list several.
enum class PeerState : uint8_t { New = 1, Authed = 2, Denied = 4 };

// At most this many signatures per worker: one per handshake, plus rekeys. Stops a worker
// from using sec-mod as a signing oracle.
inline constexpr int kMaxSignsPerWorker = 16;
// Largest message a worker may ask us to sign (TLS needs a few hundred bytes).
inline constexpr size_t kMaxSignInput = 8192;
// Wrong answers before one login attempt ends (ocserv: 3).
inline constexpr int kMaxAuthFailures = 3;

class SecMod;

struct WorkerPeer {
  SecMod* owner = nullptr;
  uint64_t id = 0;
  std::string client_ip;
  IpcChannel channel;
  ev_io io{};
  PeerState state = PeerState::New;
  int failures = 0;
  int signs = 0;
};

struct WorkerRoute {
  ipc::WorkerToSecMod::MsgCase kind;
  uint8_t legal_states;  // bitwise OR of PeerState values
  Result<void> (SecMod::*handler)(WorkerPeer&, ipc::WorkerToSecMod&);
};

class SecMod {
 public:
  SecMod(struct ev_loop* loop, Logger& log, IpcChannel main_channel, Config cfg, ServerKey key);
  ~SecMod();
  SecMod(const SecMod&) = delete;
  SecMod& operator=(const SecMod&) = delete;

  // Tells main we are ready and starts watching the channels.
  Result<void> start();

  static std::span<const WorkerRoute> worker_routes();

  // Handlers (public so the route table can name them).
  Result<void> on_sign(WorkerPeer& p, ipc::WorkerToSecMod& m);
  Result<void> on_auth_init(WorkerPeer& p, ipc::WorkerToSecMod& m);

 private:
  static void main_cb(struct ev_loop*, ev_io* w, int);
  static void peer_cb(struct ev_loop*, ev_io* w, int);
  static void purge_cb(struct ev_loop*, ev_timer* w, int);

  void on_main_readable();
  void on_peer_readable(WorkerPeer& p);
  void attach_worker(const ipc::AttachWorker& m, UniqueFd fd);
  void on_session_open(const ipc::SessionOpen& m);
  void drop_peer(uint64_t id, const std::string& violation);
  void send_auth_reply(WorkerPeer& p, const ipc::AuthReply& r);
  void report_auth(const WorkerPeer& p, const std::string& user, const std::string& group, bool ok,
                   const std::string& reason);

  struct ev_loop* loop_;
  Logger& log_;
  IpcChannel main_;
  Config cfg_;
  ServerKey key_;
  PlainAuth plain_;
  CookieDb cookies_;
  ev_io main_io_{};
  ev_timer purge_timer_{};
  std::unordered_map<uint64_t, std::unique_ptr<WorkerPeer>> peers_;
};

}  // namespace sslvpn::secmod
