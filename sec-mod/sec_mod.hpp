// sec-mod's event loop: holds the server key, checks logins, issues cookies. Every worker is a
// hostile peer; each request is checked against kWorkerRoutes (STYLE rule 5) before it runs.
#pragma once

#include <ev.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "common/config.hpp"
#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "common/secret_bytes.hpp"
#include "ipc.pb.h"
#include "sec-mod/auth_backend.hpp"
#include "sec-mod/cert_auth.hpp"
#include "sec-mod/cookie_db.hpp"
#include "sec-mod/crypto_pool.hpp"
#include "sec-mod/radius_acct.hpp"
#include "sec-mod/server_key.hpp"

namespace sslvpn::secmod {

// A worker's login state as sec-mod sees it. Values are bits so a route can list several.
//   New       -> no login running; AuthInit starts one
//   Pending   -> a password method is working (PAM thread); the worker waits
//   Answering -> a form of ours (CONTINUE) is shown; AuthContinue answers it
//   Authed    -> the cookie was issued;   Denied -> this connection may not try again
//   Signer    -> not a worker: the NVM collector, whose DTLS handshakes need signatures and
//                nothing else (no login, no logout)
enum class PeerState : uint8_t { New = 1, Authed = 2, Denied = 4, Pending = 8, Answering = 16, Signer = 32 };

// Signatures per worker are a rate, not a count: a burst of kSignBurst (handshakes, rekeys),
// then one more every kSignRefillSeconds. A long session that renegotiates (OpenVPN does every
// hour) keeps working; a worker cannot use sec-mod as a signing oracle.
inline constexpr int kSignBurst = 16;
inline constexpr int kSignRefillSeconds = 60;
// The collector serves every NVM endpoint's DTLS handshake: a larger burst, one a second after.
inline constexpr int kSignerBurst = 256;
inline constexpr int kSignerRefillSeconds = 1;

// A token bucket over whole seconds (a pure value: unit-tested with given times).
class SignBudget {
 public:
  explicit SignBudget(time_t now, int burst = kSignBurst, int refill_s = kSignRefillSeconds)
      : burst_(burst), refill_s_(refill_s), tokens_(burst), last_(now) {}
  // Takes one signature; false when the worker has none left.
  bool take(time_t now) {
    if (now > last_) {
      auto earned = (now - last_) / refill_s_;
      if (earned > 0) {
        tokens_ = static_cast<int>(std::min<time_t>(burst_, tokens_ + earned));
        last_ += earned * refill_s_;
      }
    }
    if (tokens_ == burst_) last_ = now;  // a full bucket earns nothing while it waits
    if (tokens_ == 0) return false;
    --tokens_;
    return true;
  }

 private:
  int burst_, refill_s_;
  int tokens_;
  time_t last_;
};
// Signatures and password hashes waiting for a pool thread, per lane (at least this, or 64 per
// thread); beyond it a handshake fails at once and a login is told the server is busy. A
// worker has one signature in flight at most (a second is a violation), so the signature
// lane holds at most one per worker in its handshake, which main's admission bounds.
inline constexpr size_t kMaxQueuedCrypto = 512;
// Key sets a reload replaced that sec-mod keeps, newest first: workers started before it still
// show the old certificates, and their later full handshakes (an OpenVPN renegotiation, a TLS
// 1.2 rehandshake) need the old keys' signatures. Only workers attached before the set was
// replaced (or within kRetiredKeyGrace after: main updates the zygote's chains once we answered
// the reload) may use it, and it is let go once none of them is left, or when more than this
// many are kept.
inline constexpr size_t kMaxRetiredKeySets = 16;
inline constexpr double kRetiredKeyGrace = 2;  // seconds

// One copy of each host's server key per pool thread: a GnuTLS key object is used by one thread
// at a time. Replaced whole on reload; jobs in flight keep the set they started with.
struct KeySet {
  using Copies = std::vector<ServerKey>;  // one per pool thread
  struct Pair {
    std::string id;  // the certificate's key id (SHA-256 of its SubjectPublicKeyInfo)
    Copies copies;
  };
  // hosts[h][pair]: host h's (0 the default, then each [vhost:]'s) certificate and key pairs,
  // in the file's order (server-cert/server-key given more than once, as in ocserv).
  std::vector<std::vector<Pair>> hosts;
  std::vector<std::string> names;  // "" , then the vhosts' names
  size_t copies() const { return hosts.front().front().copies.size(); }
  // The key of the host a worker names ("" = the default) and of its pair `index`; null for a
  // host or pair this set lacks (a reload removed it).
  const Copies* find(std::string_view vhost, unsigned index) const;
  // The key whose certificate has key id `id`, of any host; null if none.
  const Copies* find_id(std::string_view id) const;
  // True when every pair of `other` is in this set too (by key id).
  bool covers(const KeySet& other) const;
  // `first` is the default host's first key (already loaded); throws if a key cannot be read or
  // does not fit its certificate.
  static std::shared_ptr<const KeySet> load(ServerKey first, const Config& cfg, size_t copies);
};

// One host's logins ([vhost:NAME] or the default): its configuration, one password backend per
// chain (null for certificate-only chains) and its certificate verifier.
struct Site {
  std::shared_ptr<const Config> cfg;
  std::vector<std::unique_ptr<PasswordBackend>> backends;
  std::optional<CertVerifier> cert;
  std::unique_ptr<PasswordBackend> account;  // acct = pam: every new session's account check
};

// Largest message a worker may ask us to sign (TLS needs a few hundred bytes).
inline constexpr size_t kMaxSignInput = 8192;
// Largest key id a worker may name (a SHA-256 is 32 bytes).
inline constexpr size_t kMaxKeyId = 64;
// Wrong answers before one login attempt ends (ocserv: 3).
inline constexpr int kMaxAuthFailures = 3;
// Forms of ours (PAM prompts, OTP codes) one connection may be shown: a PAM stack that keeps
// asking cannot keep a worker forever.
inline constexpr int kMaxAuthRounds = 16;
// logout.esp requests one connection may make (a worker guessing cookies is a violation).
inline constexpr int kMaxLogoutsPerWorker = 4;
// Cookie checks (a profile download) one connection may ask for; more is guessing.
inline constexpr int kMaxCookieChecksPerWorker = 4;

class SecMod;

// One login attempt: up to kMaxAuthFailures tries, each a conversation with a password method.
struct LoginState {
  std::shared_ptr<Site> site;  // the host the client logs in to (its TLS server name's)
  std::string context;         // names the current conversation (random, 64 hex digits)
  std::unique_ptr<PasswordLogin> login;
  size_t chain = 0;          // index into Config::auth_chains
  std::string user;          // who is logging in
  std::string wanted_group;  // the group chosen in the first form ("" = default)
  // acct = pam: the user whose account passed the check (or whose PAM login, on the same stack,
  // checked it), and while the check runs, the groups and settings the login succeeded with.
  std::string account_checked_for;
  std::optional<std::pair<std::vector<std::string>, ipc::UserSettings>> held;
  std::optional<CertIdentity> cert;  // the client certificate's verdict, once checked
  std::string cert_leaf;             // the DER leaf it was checked on
  int failures = 0;
  int rounds = 0;
};

struct WorkerPeer {
  SecMod* owner = nullptr;
  uint64_t id = 0;
  std::string client_ip;
  IpcChannel channel;
  ev_io io{};
  PeerState state = PeerState::New;
  SignBudget signs{time(nullptr)};
  LoginState auth;
  int logouts = 0;         // GlobalProtect logout.esp requests seen
  int cookie_checks = 0;   // AuthInit.cookie_check requests seen
  bool signing = false;    // a signature for it is with the pool: one at a time, as TLS needs
  double attached_at = 0;  // ev_now when main attached it: which retired keys it may use
};

// A key set a reload replaced (SecMod::retire_keys).
struct RetiredKeys {
  std::shared_ptr<const KeySet> keys;
  double retired_at = 0;  // ev_now of the reload
};

// A login waiting for the answer to our form after its connection closed: the client may send
// the answer on a new connection (with the webvpncontext cookie) until `expires`.
struct ParkedLogin {
  LoginState auth;
  std::string client_ip;
  time_t expires = 0;
};

// At most this many parked logins; beyond it the oldest go.
inline constexpr size_t kMaxParkedLogins = 4096;

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
  // Signatures and password hashes not yet answered (tests wait for 0 before they exit).
  size_t crypto_unfinished() const { return pool_.unfinished(); }

  // Handlers (public so the route table can name them).
  Result<void> on_sign(WorkerPeer& p, ipc::WorkerToSecMod& m);
  Result<void> on_auth_init(WorkerPeer& p, ipc::WorkerToSecMod& m);
  Result<void> on_auth_continue(WorkerPeer& p, ipc::WorkerToSecMod& m);
  Result<void> on_logout(WorkerPeer& p, ipc::WorkerToSecMod& m);

 private:
  static void main_cb(struct ev_loop*, ev_io* w, int);
  static void peer_cb(struct ev_loop*, ev_io* w, int);
  static void purge_cb(struct ev_loop*, ev_timer* w, int);

  void on_main_readable();
  bool on_peer_readable(WorkerPeer& p);
  void attach_worker(const ipc::AttachWorker& m, UniqueFd fd);
  void on_session_open(const ipc::SessionOpen& m);
  // GlobalProtect (session_requests.cpp): a login by a live cookie of the same user.
  bool login_with_cookie(WorkerPeer& p, ipc::AuthInit& a);
  // AuthInit.cookie_check: is the cookie a live session's of the asked vhost? (no login)
  Result<void> check_cookie(WorkerPeer& p, const ipc::AuthInit& a);
  bool login_with_token(WorkerPeer& p, ipc::AuthInit& a, time_t now);
  void on_reload(const ipc::SecModReload& m);
  void build_auth();
  void drop_peer(uint64_t id, const std::string& violation);
  void send_auth_reply(WorkerPeer& p, const ipc::AuthReply& r);
  void send_signature(uint64_t peer, const std::optional<Result<std::string>>& sig, unsigned algorithm);
  std::pair<std::shared_ptr<const KeySet>, const KeySet::Copies*> key_for(const WorkerPeer& p,
                                                                          const ipc::SignRequest& s) const;
  // A reload replaced `old`: keep it for the workers that still show its certificates.
  void retire_keys(std::shared_ptr<const KeySet> old);
  // Lets go of the retired key sets no attached worker may use any more.
  void prune_retired_keys();
  // Login steps: start a chain's password method, then act on each step it yields.
  void start_password(WorkerPeer& p, size_t chain, const std::string& user, std::string& password,
                      bool has_pw);
  void converse(WorkerPeer& p, PasswordBackend& backend, LoginStart& s);
  void check_account(WorkerPeer& p, std::vector<std::string> groups, const ipc::UserSettings& settings);
  bool pam_login_checked_account(const WorkerPeer& p) const;
  void on_step(const std::string& context, AuthStep step);
  // Moves a parked login to `p` if the context, client address and certificate match.
  bool resume_parked(WorkerPeer& p, const ipc::AuthContinue& m);
  void park(WorkerPeer& p);
  void finish_success(WorkerPeer& p, std::vector<std::string> groups, const ipc::UserSettings& settings = {});
  void finish_failure(WorkerPeer& p, const AuthStep& step);
  void deny(WorkerPeer& p, const std::string& reason, const std::string& message, bool ban_points = true);
  std::optional<size_t> certificate_only_chain(const Site& site) const;
  std::optional<size_t> password_chain(const WorkerPeer& p, const std::string& user) const;
  // The site serving a worker's TLS server name ("" or unknown: the default host).
  std::shared_ptr<Site> site_for(std::string_view vhost) const;
  std::unique_ptr<Site> make_site(std::shared_ptr<const Config> cfg);
  void report_auth(const WorkerPeer& p, const std::string& user, const std::string& group, bool ok,
                   const std::string& reason, uint64_t session_id = 0, time_t created = 0,
                   bool ban_points = true);

  struct ev_loop* loop_;
  Logger& log_;
  IpcChannel main_;
  Config cfg_;
  std::shared_ptr<const KeySet> keys_;
  std::deque<RetiredKeys> retired_keys_;  // newest first, at most kMaxRetiredKeySets
  // Threads for signatures and password hashes. Its jobs own their data; its results reach us
  // only from the event loop, which no longer runs when members go.
  CryptoPool pool_;
  CookieDb cookies_;
  ev_io main_io_{};
  ev_timer purge_timer_{};
  // The default host's site, then one per [vhost:NAME], in the configuration's order.
  std::vector<std::shared_ptr<Site>> sites_;
  // Sites replaced by a reload: logins that started on them finish on them, and their backends
  // (threads, PAM conversations) are never torn down under a running login.
  std::vector<std::shared_ptr<Site>> retired_;
  std::unique_ptr<RadiusAccounting> acct_;
  // openvpn-auth-token-secret's key: login tokens are issued and accepted (null: neither).
  std::unique_ptr<SecretBytes> token_key_;
  std::unordered_map<std::string, uint64_t> login_owner_;  // context -> peer id (0: parked)
  std::unordered_map<std::string, ParkedLogin> parked_;
  // Last: peers own logins that refer to the backends, so they go first.
  std::unordered_map<uint64_t, std::unique_ptr<WorkerPeer>> peers_;
};

}  // namespace sslvpn::secmod
