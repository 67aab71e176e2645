// GlobalProtect's portal and gateway before the tunnel, as an I/O-free state machine (STYLE
// rule 18), beside AnyConnect's AuthFlow and driving the same sec-mod login engine.
//
// States:
//   Idle          -> prelogin, a login (portal getconfig or gateway login.esp), or requests that
//                    carry a cookie (getconfig, the tunnel GET, hipreportcheck, logout)
//   WaitingSecMod -> an AuthInit/AuthContinue or a Logout is with sec-mod
//   Authenticated -> this connection's login succeeded: the portal's cookie logs in the gateway
//                    without sec-mod (the same connection, the same user)
//   Closed        -> the last reply closes the connection
//
// A further step of a login (OTP, a PAM prompt, a RADIUS challenge) is a GlobalProtect
// challenge whose inputStr is sec-mod's name for the login: the answer may come on this
// connection or on a new one. A wrong password is HTTP 512: the client asks again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/secret_bytes.hpp"
#include "ipc.pb.h"
#include "worker/gp/gp_messages.hpp"
#include "worker/http/http_request.hpp"
#include "worker/http/http_response.hpp"

namespace sslvpn::gp {

struct GpSettings {
  bool portal = true;                 // false: gateway only
  std::vector<std::string> gateways;  // the portal's list; empty: this server, as the client named it
  bool hip_report = false;
  std::string portal_name = "sslvpnd";
  std::string server_name;                // when the client named no Host
  uint32_t cert_login = 0;                // 0 none, 1 allowed, 2 required (as AnyConnect)
  std::vector<std::string> client_certs;  // DER, leaf first
  std::string local_ip;                   // the address the client connected to (behind a balancer: its)
};

struct Step {
  enum class Kind {
    Reply,      // send `reply`
    AskSecMod,  // send `request` to sec-mod; feed the answer to on_secmod_reply
    Logout,     // ask sec-mod to end `cookie`'s session; feed the answer to on_logout_reply
    GetConfig,  // ask main for the session of `cookie`; answer with getconfig_reply
    Tunnel,     // ask main for the session of `cookie`, HTTPS only; answer START_TUNNEL
  };
  Kind kind = Kind::Reply;
  http::Response reply;
  ipc::WorkerToSecMod request;  // holds secrets: the shell wipes them
  GpCookie cookie;
  ipc::SessionRequest session_request;
  std::string enc_algos, mac_algos;  // getconfig: what the client's ESP can do
};

class GpFlow {
 public:
  enum class State { Idle, WaitingSecMod, Authenticated, Closed };

  explicit GpFlow(GpSettings s) : settings_(std::move(s)) {}

  // `req` has been routed here (worker/http/router: globalprotect_routes()).
  Step on_request(http::Request& req);
  Step on_secmod_reply(const ipc::AuthReply& reply);
  Step on_logout_reply(bool ok);
  State state() const noexcept { return state_; }
  const GpSettings& settings() const noexcept { return settings_; }

 private:
  Step on_login(http::Request& req, bool portal);
  Step on_cookie_request(http::Request& req, std::string_view path);
  Step ask_password(const std::string& user, std::string_view password, std::string_view user_agent);
  // An AuthContinue answering sec-mod's form `context` with one value (the challenge's input).
  Step answer(const std::string& context, std::string value);
  Step login_success();
  std::string gateway_name(const http::Request& req) const;

  GpSettings settings_;
  State state_ = State::Idle;
  bool keep_alive_ = true;
  // The login in progress
  bool pending_portal_ = false;
  std::string pending_user_;
  std::string pending_field_ = "password";  // the input sec-mod's last form asked for
  std::string computer_, domain_, preferred_ip_, preferred_ipv6_;
  std::string gateway_;      // this server as the client named it (the portal's default entry)
  bool cert_first_ = false;  // the certificate went first; the password waits for its verdict
  // The password of the login in progress, until the login ends: it follows a certificate's
  // verdict, and after a wrong challenge answer the login starts over with it and the new one.
  SecretBytes login_password_;
  SecretBytes pending_answer_;  // the answer for the restarted login's challenge
  std::string last_context_;    // the challenge we showed last
  bool answering_ = false;      // the request with sec-mod answers a challenge
  bool answer_failed_ = false;  // ... and it was wrong
  bool cert_sent_ = false;
  // The login that succeeded on this connection
  std::string cookie_, user_, group_;
  GpCookie logout_cookie_;
};

// A response with an XML body (GlobalProtect clients ignore Content-Type; PAN sends this).
http::Response xml_reply(std::string body, int status = 200);

}  // namespace sslvpn::gp
