// The load generator: many ClientSessions in one process and one event loop, started at a
// given rate, held for a while, with what happened counted.
#pragma once

#include <ev.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tools/loadgen/client_session.hpp"

namespace sslvpn::loadgen {

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 443;
  std::string user, password;
  uint32_t sessions = 100;
  double rate = 50;       // new sessions per second
  double hold_s = 10;     // how long the sessions are held once all started
  double pps = 0;         // data packets per second per session
  uint32_t dpd_s = 30;    // the client's DPD interval
  double timeout_s = 60;  // a session that is not up by then has failed
  double linger_s = -1;   // >= 0: each session ends this long after it is up (a login storm)
  bool resume = false;    // the CONNECT connection resumes the login's TLS session
  bool reuse = false;     // CONNECT on the login's own connection (openconnect does this)
  int server_pid = 0;     // measured (PSS, CPU) when set
  bool json = false;
};

struct Stats {
  uint32_t started = 0, established = 0, alive_at_end = 0;
  std::array<uint32_t, static_cast<size_t>(Failure::kCount)> failures{};
  std::vector<double> login_ms, tunnel_ms;  // start -> cookie, start -> tunnel up
  uint64_t dpd_answered = 0, dpd_sent = 0, data_sent = 0;
  uint32_t resumed = 0;                             // CONNECT handshakes that resumed
  std::chrono::steady_clock::time_point last_up{};  // when the last session came up
};

class Loadgen {
 public:
  Loadgen(struct ev_loop* loop, Options o);
  ~Loadgen();

  // Runs to the end; returns the process exit status (0: every session came up and lasted).
  int run();

  // For sessions.
  struct ev_loop* loop() const noexcept {
    return loop_;
  }
  const Options& options() const noexcept { return o_; }
  gnutls_certificate_credentials_t creds() const noexcept { return creds_; }
  gnutls_priority_t priority() const noexcept { return prio_; }
  const sockaddr_in& address() const noexcept { return addr_; }
  Stats& stats() noexcept { return st_; }
  void session_ended() { check_done(); }

 private:
  static void tick_cb(struct ev_loop*, ev_timer* w, int);
  double last_up_ms() const;  // from the start to the last session up
  void tick();
  void check_done();
  void report(double hold_cpu_s, long pss_kb, double elapsed_s);

  struct ev_loop* loop_;
  Options o_;
  sockaddr_in addr_{};
  gnutls_certificate_credentials_t creds_ = nullptr;
  gnutls_priority_t prio_ = nullptr;
  std::vector<std::unique_ptr<ClientSession>> sessions_;
  Stats st_;
  ev_timer tick_{};
  std::chrono::steady_clock::time_point t0_, all_up_;
  bool holding_ = false, finished_ = false;
  double cpu_at_hold_ = 0;
  long pss_before_ = 0;  // the server's PSS before the first session
};

}  // namespace sslvpn::loadgen
