// The AnyConnect login conversation as an I/O-free state machine (STYLE rule 18).
//
// States:
//   Idle          -> waiting for a request; the first form is served from here
//   WaitingSecMod -> an AuthInit/AuthContinue went to sec-mod; on_secmod_reply() continues
//   Answering     -> a form of sec-mod's (PAM prompt, OTP code) is shown; a POST answers it
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
  // Certificate login (WorkerStartup.cert_login): 0 none, 1 allowed, 2 required.
  uint32_t cert_login = 0;
  // The client's certificate chain (DER, leaf first) from the handshake; sent with the first login.
  std::vector<std::string> client_certs;
  std::vector<std::string> custom_headers;  // custom-header: lines added to the CONNECT answer
  bool group_by_url = false;                // select-group-by-url
  // user-profile: the XML profile (empty: none), its name in /profiles/NAME and SHA-1 (hex).
  std::string profile_name;
  std::string profile_xml;
  std::string profile_sha1;
};

// What a CONNECT offers for DTLS (the worker keeps it; main never sees the master secret).
struct DtlsOffer {
  std::string ciphersuites;    // X-DTLS-CipherSuite
  std::string ciphersuites12;  // X-DTLS12-CipherSuite
  std::string master_secret;   // X-DTLS-Master-Secret, hex (legacy mode)
  std::string cstp_encodings;  // X-CSTP-Accept-Encoding: the compression methods it takes
  std::string dtls_encodings;  // X-DTLS-Accept-Encoding
};

struct Step {
  enum class Kind { Reply, AskSecMod, Connect };
  Kind kind = Kind::Reply;
  http::Response reply;  // Kind::Reply
  ipc::WorkerToSecMod
      request;  // Kind::AskSecMod: AuthInit or AuthContinue (holds secrets: the shell wipes them)
  ipc::SessionRequest session_request;  // Kind::Connect
  DtlsOffer dtls_offer;                 // Kind::Connect
};

// The tunnel request of a CONNECT: the cookie and what the client says about itself.
// nullopt when the cookie is missing or not of our form (the client gets 401).
std::optional<ipc::SessionRequest> parse_connect_request(const http::Request& req);

class AuthFlow {
 public:
  // The host's banner (also sent with CONNECT as X-CSTP-Banner, as ocserv does).
  const std::string& banner() const noexcept { return settings_.banner; }
  const std::vector<std::string>& custom_headers() const noexcept { return settings_.custom_headers; }
  enum class State { Idle, WaitingSecMod, Answering, Authenticated, Tunnel, Closed };

  explicit AuthFlow(AuthSettings s) : settings_(std::move(s)) {}

  Step on_request(http::Request& req);
  // select-group-by-url: a POST to /GROUP (a path no protocol declared) before or during a
  // login (Idle, Answering). Answered as a POST to "/" that asks for GROUP, whatever the body
  // names; the form offers only GROUP. nullopt when the option is off, sec-mod has the login or
  // it is over, or the name is no name (empty, longer than 64 bytes, more than one path
  // segment, anything but visible ASCII): the path is then not found.
  std::optional<Step> on_group_url_post(http::Request& req, std::string_view path);
  Step on_secmod_reply(const ipc::AuthReply& reply);
  State state() const noexcept { return state_; }

 private:
  Step answer(http::Request& req);
  Step form_reply(const std::string& error, const std::string& selected_group);
  Step pending_form_reply();
  Step on_post(http::Request& req);
  Step on_answer(ClientAuth& a);
  std::string auth_complete() const;
  // GET /profiles/... (any name, as ocserv's): the profile, to the connection that logged in, or
  // to one whose webvpn cookie sec-mod knows (Cisco's downloader comes on a new connection).
  Step profile_request(const http::Request& req);
  Step profile_reply();
  http::Response profile_response(bool close) const;  // 200, the profile
  // The certificate-only first request: sec-mod decides between a cookie, its own form and ours.
  Step ask_with_certificate(const std::string& group);
  void attach_certificate(ipc::AuthInit& init);
  void transition_to(State s) { state_ = s; }

  AuthSettings settings_;
  State state_ = State::Idle;
  std::string pending_group_;  // group the client chose, to re-select it on a retry
  LoginForm pending_form_;     // sec-mod's form while Answering
  bool cert_sent_ = false;     // the certificate went to sec-mod (once per connection)
  std::string context_;        // sec-mod's name for the login in progress (webvpncontext)
  bool keep_alive_ = true;
  std::string url_group_;         // select-group-by-url: the group the current request's path names
  bool profile_pending_ = false;  // sec-mod checks a cookie for a GET /profiles/
};

}  // namespace sslvpn::anyconnect
