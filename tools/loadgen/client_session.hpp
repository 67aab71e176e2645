// One simulated AnyConnect client, driven by libev: TCP + TLS (GnuTLS, non-blocking), the XML
// login (as many forms as the server shows: username, then password, ...), CONNECT on a new
// connection (Cisco's client; --resume resumes the login's TLS session) or on the login's own
// (--reuse: openconnect), then the CSTP tunnel with no TUN device: it answers the server's DPD requests,
// sends its own every `dpd` seconds, and optionally a small UDP packet `pps` times a second.
#pragma once

#include <ev.h>
#include <gnutls/gnutls.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

#include "common/unique_fd.hpp"

namespace sslvpn::loadgen {

class Loadgen;

enum class Failure : uint8_t { Connect, Tls, Login, Tunnel, Dropped, Timeout, kCount };
const char* failure_name(Failure f);

class ClientSession {
 public:
  enum class Phase : uint8_t { Idle, Login, Connect, Tunnel, Done, Failed };
  using Clock = std::chrono::steady_clock;

  ClientSession(Loadgen& g, uint32_t index);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  void start();
  // Ends the tunnel politely (a DISCONNECT frame) and closes.
  void stop();
  Phase phase() const noexcept { return phase_; }

 private:
  bool open_connection();
  void close_connection();
  void arm_timer(double seconds);
  static void io_cb(struct ev_loop*, ev_io* w, int revents);
  static void timer_cb(struct ev_loop*, ev_timer* w, int);
  void on_io(int revents);
  void on_timer();
  void handshake();
  void read_all();
  void flush();
  void queue(std::string_view data);  // one TLS record
  std::string login_request(const std::string& body) const;
  void on_reply();
  void send_connect();
  void on_tunnel_data();
  void send_frame(uint8_t type, std::string_view payload);
  void fail(Failure f);

  Loadgen& g_;
  uint32_t index_;
  Phase phase_ = Phase::Idle;
  UniqueFd fd_;
  gnutls_session_t tls_ = nullptr;
  bool connected_ = false, handshaken_ = false;
  ev_io io_{};
  ev_timer timer_{};
  std::string in_;
  std::deque<std::string> out_;  // records waiting for the socket (plaintext, one record each)
  std::string cookie_, context_;
  std::string address_;
  int form_rounds_ = 0;
  std::string pending_request_;  // the login request to send once the (new) connection is up
  Clock::time_point started_, next_dpd_, next_data_, linger_until_{};
  gnutls_datum_t resume_data_{};  // the login connection's session, for --resume
};

}  // namespace sslvpn::loadgen
