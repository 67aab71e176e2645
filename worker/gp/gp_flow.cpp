#include "worker/gp/gp_flow.hpp"

#include <gnutls/crypto.h>

#include "common/hex.hpp"
#include "worker/http/form.hpp"

namespace sslvpn::gp {
namespace {

Step reply(http::Response r) {
  Step s;
  s.reply = std::move(r);
  return s;
}

Step closing(int status) {
  return reply(http::error_response(status));
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == ':' || c == '[' || c == ']';
}

std::string random_hex40() {
  uint8_t raw[20];
  if (gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof raw) != 0) return std::string(40, '0');
  return hex_encode(raw);
}

}  // namespace

http::Response xml_reply(std::string body, int status) {
  http::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/xml; charset=UTF-8");
  r.body = std::move(body);
  return r;
}

std::string GpFlow::gateway_name(const http::Request& req) const {
  const std::string* host = req.header("host");
  if (host && !host->empty() && host->size() <= 255) {
    bool ok = true;
    for (char c : *host) ok = ok && host_char(c);
    if (ok) return *host;
  }
  return settings_.server_name.empty() ? "localhost" : settings_.server_name;
}

Step GpFlow::on_request(http::Request& req) {
  keep_alive_ = req.keep_alive();
  if (state_ == State::WaitingSecMod || state_ == State::Closed) {
    state_ = State::Closed;
    return closing(400);
  }
  std::string_view path = http::path_of(req.target);
  if (path == "/global-protect/prelogin.esp" || path == "/ssl-vpn/prelogin.esp") {
    wipe_string(req.body);
    bool portal = path.starts_with("/global-protect/");
    gateway_ = gateway_name(req);
    return reply(xml_reply(portal && !settings_.portal ? prelogin_no_portal()
                                                       : prelogin_reply("Enter login credentials")));
  }
  if (path == "/global-protect/getconfig.esp") {
    if (!settings_.portal) {
      wipe_string(req.body);
      return reply(xml_reply(error_reply("Portal name not found")));
    }
    return on_login(req, true);
  }
  if (path == "/ssl-vpn/login.esp") return on_login(req, false);
  return on_cookie_request(req, path);
}

Step GpFlow::on_cookie_request(http::Request& req, std::string_view path) {
  bool tunnel = req.method == "GET";
  auto form = http::parse_form(tunnel ? http::query_of(req.target) : std::string_view(req.body));
  wipe_string(req.body);
  if (!form.ok()) {
    state_ = State::Closed;
    return closing(400);
  }
  auto cookie = cookie_from(*form);
  if (tunnel) {
    state_ = State::Closed;
    if (!cookie) return closing(502);  // the client stops: no retry with a cookie we refused
    Step s;
    s.kind = Step::Kind::Tunnel;
    s.cookie = *cookie;
    s.session_request.set_cookie(cookie->authcookie);
    s.session_request.set_user(cookie->user);
    s.session_request.set_protocol(ipc::GLOBALPROTECT);
    s.session_request.set_no_datagram(true);
    s.session_request.set_hostname(cookie->computer);
    s.session_request.set_wanted_ipv4(cookie->preferred_ip);
    s.session_request.set_wanted_ipv6(cookie->preferred_ipv6);
    return s;
  }
  if (!cookie) return reply(xml_reply(error_reply("Invalid authentication cookie")));
  if (path == "/ssl-vpn/getconfig.esp") {
    Step s;
    s.kind = Step::Kind::GetConfig;
    s.cookie = *cookie;
    auto& r = s.session_request;
    r.set_cookie(cookie->authcookie);
    r.set_user(cookie->user);
    r.set_protocol(ipc::GLOBALPROTECT);
    r.set_hostname(cookie->computer);
    r.set_wanted_ipv4(cookie->preferred_ip);
    r.set_wanted_ipv6(cookie->preferred_ipv6);
    r.set_ipv6(form->value("ipv6-support") == "yes");
    r.set_device_platform(form->value("clientos").substr(0, 64));  // DEVICE_PLATFORM for the scripts
    r.set_user_agent(req.header("user-agent") ? req.header("user-agent")->substr(0, 255) : "");
    s.enc_algos = form->value("enc-algo").substr(0, 256);
    s.mac_algos = form->value("hmac-algo").substr(0, 256);
    return s;
  }
  if (path == "/ssl-vpn/logout.esp") {
    Step s;
    s.kind = Step::Kind::Logout;
    s.cookie = *cookie;
    logout_cookie_ = *cookie;
    state_ = State::WaitingSecMod;
    return s;
  }
  // hipreportcheck / hipreport on a connection without the tunnel (the client's hourly check
  // in ESP mode): the report was collected with getconfig; nothing is asked again here.
  if (path == "/ssl-vpn/hipreportcheck.esp") return reply(xml_reply(hip_check_reply(false)));
  return reply(xml_reply(success_reply()));
}

Step GpFlow::ask_password(const std::string& user, std::string_view password, std::string_view user_agent) {
  Step s;
  s.kind = Step::Kind::AskSecMod;
  auto* init = s.request.mutable_auth_init();
  init->set_username(user);
  init->set_password(std::string(password));
  init->set_has_password(true);
  init->set_user_agent(std::string(user_agent.substr(0, 256)));
  if (settings_.cert_login != 0 && !cert_sent_) {
    for (const auto& der : settings_.client_certs) init->add_client_cert_der(der);
    cert_sent_ = true;
  }
  state_ = State::WaitingSecMod;
  return s;
}

Step GpFlow::answer(const std::string& context, std::string value) {
  Step s;
  s.kind = Step::Kind::AskSecMod;
  auto* cont = s.request.mutable_auth_continue();
  cont->set_context(context);
  if (settings_.cert_login != 0)
    for (const auto& der : settings_.client_certs) cont->add_client_cert_der(der);
  auto* a = cont->add_answers();
  a->set_name(pending_field_);
  a->set_value(std::move(value));
  wipe_string(value);
  answering_ = true;
  state_ = State::WaitingSecMod;
  return s;
}

Step GpFlow::on_login(http::Request& req, bool portal) {
  auto form = http::parse_form(req.body);
  wipe_string(req.body);
  if (!form.ok()) {
    state_ = State::Closed;
    return closing(400);
  }
  std::string user = form->value("user").substr(0, 255);
  const std::string* passwd = form->get("passwd");
  std::string input = form->value("inputStr");
  std::string prior = form->value("portal-userauthcookie");
  pending_portal_ = portal;
  computer_ = form->value("computer").substr(0, 255);
  domain_ = form->value("domain").substr(0, 255);
  preferred_ip_ = form->value("preferred-ip").substr(0, 64);
  preferred_ipv6_ = form->value("preferred-ipv6").substr(0, 64);
  if (gateway_.empty()) gateway_ = gateway_name(req);
  std::string ua = req.header("user-agent") ? *req.header("user-agent") : std::string();
  if (state_ == State::Authenticated) {
    // The portal's login on this connection logs in the gateway (the client re-posts it, with
    // the name the user typed, which a certificate login may have replaced).
    if (!user.empty() && user != user_ && user != pending_user_)
      return reply(xml_reply(error_reply("Authentication failed")));
    return login_success();
  }
  if (is_auth_cookie(prior)) {  // the portal's cookie, shown to the gateway on a new connection
    pending_user_ = user;
    Step s = ask_password(user, passwd ? std::string_view(*passwd) : std::string_view(), ua);
    s.request.mutable_auth_init()->set_prior_cookie(prior);
    s.request.mutable_auth_init()->set_has_password(passwd != nullptr);
    return s;
  }
  if (!input.empty() && is_auth_cookie(input)) {  // the answer to a challenge of ours
    if (answer_failed_ && input == last_context_ && !login_password_.empty() && !pending_user_.empty()) {
      // After a wrong code the client asks for the code again and re-posts the old challenge:
      // the login starts over with the password it gave, and the new code answers the new
      // challenge at once (sec-mod still counts every failure).
      answer_failed_ = false;
      pending_answer_ = SecretBytes(passwd ? std::string_view(*passwd) : std::string_view());
      std::string pw(login_password_.view());
      Step s = ask_password(pending_user_, pw, ua);
      wipe_string(pw);
      return s;
    }
    return answer(input, passwd ? *passwd : std::string());
  }
  pending_user_ = user;
  if (settings_.cert_login != 0 && !settings_.client_certs.empty() && !cert_sent_) {
    // Certificate first (as AnyConnect): a certificate-only login needs no password; otherwise
    // the password follows at once.
    login_password_ = SecretBytes(passwd ? std::string_view(*passwd) : std::string_view());
    cert_first_ = true;
    cert_sent_ = true;
    Step s;
    s.kind = Step::Kind::AskSecMod;
    auto* init = s.request.mutable_auth_init();
    for (const auto& der : settings_.client_certs) init->add_client_cert_der(der);
    init->set_user_agent(ua.substr(0, 256));
    state_ = State::WaitingSecMod;
    return s;
  }
  if (user.empty() || passwd == nullptr)
    return reply(xml_reply(error_reply("Invalid username or password"), 512));
  login_password_ = SecretBytes(*passwd);
  return ask_password(user, *passwd, ua);
}

Step GpFlow::login_success() {
  state_ = State::Authenticated;
  if (pending_portal_) {
    PortalConfig c;
    c.portal_name = settings_.portal_name;
    c.gateways = settings_.gateways.empty() ? std::vector<std::string>{gateway_} : settings_.gateways;
    c.user = user_;
    c.portal_cookie = cookie_;
    return reply(xml_reply(portal_config(c)));
  }
  LoginResult r;
  r.authcookie = cookie_;
  r.persistent = random_hex40();
  r.portal = settings_.portal_name;
  r.user = user_;
  r.domain = domain_.empty() ? (group_.empty() ? "default" : group_) : domain_;
  r.preferred_ip = preferred_ip_;
  r.preferred_ipv6 = preferred_ipv6_;
  // Not the cookie again: openconnect prints this argument in its log.
  r.portal_cookie.clear();
  return reply(xml_reply(login_jnlp(r)));
}

Step GpFlow::on_secmod_reply(const ipc::AuthReply& r) {
  if (state_ != State::WaitingSecMod) {
    state_ = State::Closed;
    return closing(500);
  }
  bool cert_first = cert_first_, answered = answering_;
  cert_first_ = answering_ = false;
  if (r.status() != ipc::AuthReply::CONTINUE) pending_answer_.wipe();
  if (r.status() == ipc::AuthReply::SUCCESS || r.status() == ipc::AuthReply::DENIED) login_password_.wipe();
  switch (r.status()) {
    case ipc::AuthReply::SUCCESS:
      cookie_ = r.cookie();
      user_ = r.username();
      group_ = r.group();
      return login_success();
    case ipc::AuthReply::CONTINUE: {
      pending_field_ = r.form().fields_size() > 0 ? r.form().fields(0).name() : "password";
      if (cert_first && !login_password_.empty()) {  // the certificate's user: now its password
        Step st = answer(r.context(), std::string(login_password_.view()));
        answering_ = false;
        return st;
      }
      last_context_ = r.context();
      if (!pending_answer_.empty()) {  // the new challenge of a restarted login: the code is here
        Step st = answer(r.context(), std::string(pending_answer_.view()));
        pending_answer_.wipe();
        return st;
      }
      state_ = State::Idle;
      // The challenge has one line of text: the error, the form's message and the input's label
      // (a PAM prompt such as pam_oath's "One-time password (OATH) for ...").
      std::string message;
      for (const std::string* part : {&r.message(), &r.form().message(),
                                      r.form().fields_size() > 0 ? &r.form().fields(0).label() : nullptr})
        if (part && !part->empty() && message.find(*part) == std::string::npos)
          message += (message.empty() ? "" : " ") + *part;
      return reply(xml_reply(challenge(message.empty() ? "Enter the code" : message, r.context())));
    }
    case ipc::AuthReply::RETRY:
      if (cert_first && !pending_user_.empty()) {  // no certificate-only login: the password now
        std::string pw(login_password_.view());
        Step s = ask_password(pending_user_, pw, "");
        wipe_string(pw);
        return s;
      }
      if (answered && login_password_.empty()) {
        // A wrong answer to a challenge we cannot start again (it came on another connection):
        // 512 would make the client re-post the same stale challenge forever.
        state_ = State::Closed;
        auto resp = xml_reply(error_reply(r.message().empty() ? "Authentication failed" : r.message()));
        resp.close = true;
        return reply(std::move(resp));
      }
      answer_failed_ = answered;
      if (!answered) login_password_.wipe();  // a wrong password: the client asks for it again
      state_ = State::Idle;
      return reply(
          xml_reply(error_reply(r.message().empty() ? "Invalid username or password" : r.message()), 512));
    case ipc::AuthReply::DENIED:
    default: {
      state_ = State::Closed;
      // PAN's own text for a missing certificate makes the client stop instead of asking again.
      std::string text = r.show_message() && !r.message().empty() ? r.message() : "Authentication failed";
      if (text.find("certificate is required") != std::string::npos)
        text = "Valid client certificate is required";
      auto resp = xml_reply(error_reply(text));
      resp.close = true;
      return reply(std::move(resp));
    }
  }
}

Step GpFlow::on_logout_reply(bool ok) {
  state_ = State::Idle;
  return reply(xml_reply(ok ? logout_reply(logout_cookie_) : error_reply("Invalid authentication cookie")));
}

}  // namespace sslvpn::gp
