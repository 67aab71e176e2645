// The AnyConnect login conversation as an I/O-free state machine (STYLE rule 18).
//
// States:
//   Idle          -> waiting for a request; forms are served from here
//   WaitingSecMod -> an AuthInit went to sec-mod; on_secmod_reply() continues
//   Authenticated -> the cookie was issued; further login attempts are refused
//   Tunnel        -> CONNECT was accepted for checking; the shell asks main for the tunnel
//   Closed        -> the connection must close after the last reply
//
// The worker shell feeds parsed HTTP requests and sec-mod replies in, and carries out the
// returned Step: send bytes to the client, ask sec-mod, or close.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ipc.pb.h"
#include "worker/anyconnect/auth_messages.hpp"
#include "worker/http/http_request.hpp"
#include "worker/http/http_response.hpp"

namespace sslvpn::anyconnect {

struct AuthSettings {
  std::vector<GroupOption> groups;  // select-group entries, with the default choice first
  std::string banner;
  std::string pre_login_banner;
  std::string user_agent_default;
};

// What a CONNECT offers for DTLS (the worker keeps it; main never sees the master secret).
struct DtlsOffer {
  std::string ciphersuites;    // X-DTLS-CipherSuite
  std::string ciphersuites12;  // X-DTLS12-CipherSuite
  std::string master_secret;   // X-DTLS-Master-Secret, hex (legacy mode)
};

struct Step {
  enum class Kind { Reply, AskSecMod, Connect };
  Kind kind = Kind::Reply;
  http::Response reply;                 // Kind::Reply
  ipc::AuthInit auth_init;              // Kind::AskSecMod (holds the password: the shell wipes it)
  ipc::SessionRequest session_request;  // Kind::Connect
  DtlsOffer dtls_offer;                 // Kind::Connect
};

// The tunnel request of a CONNECT: the cookie and what the client says about itself.
// nullopt when the cookie is missing or not of our form (the client gets 401).
std::optional<ipc::SessionRequest> parse_connect_request(const http::Request& req);

class AuthFlow {
 public:
  enum class State { Idle, WaitingSecMod, Authenticated, Tunnel, Closed };

  explicit AuthFlow(AuthSettings s) : settings_(std::move(s)) {}

  Step on_request(http::Request& req);
  Step on_secmod_reply(const ipc::AuthReply& reply);
  State state() const noexcept { return state_; }

 private:
  Step form_reply(const std::string& error, const std::string& selected_group);
  Step on_post(http::Request& req);
  void transition_to(State s) { state_ = s; }

  AuthSettings settings_;
  State state_ = State::Idle;
  std::string pending_group_;  // group the client chose, to re-select it on a retry
  bool keep_alive_ = true;
};

}  // namespace sslvpn::anyconnect
