#include "worker/anyconnect/auth_flow.hpp"

#include "common/secret_bytes.hpp"

namespace sslvpn::anyconnect {
namespace {

http::Response xml_response(std::string body) {
  http::Response r;
  r.headers.emplace_back("Content-Type", "text/xml");
  r.headers.emplace_back("X-Transcend-Version", "1");
  r.body = std::move(body);
  return r;
}

Step reply(http::Response r) {
  Step s;
  s.kind = Step::Kind::Reply;
  s.reply = std::move(r);
  return s;
}

bool looks_like_xml(const http::Request& req) {
  for (char c : req.body) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '<';
  }
  return false;
}

}  // namespace

Step AuthFlow::form_reply(const std::string& error, const std::string& selected_group) {
  LoginForm f;
  f.error = error;
  f.banner = settings_.pre_login_banner;
  f.groups = settings_.groups;
  f.selected_group = selected_group;
  auto r = xml_response(build_auth_request(f));
  r.close = !keep_alive_;
  return reply(std::move(r));
}

Step AuthFlow::on_request(http::Request& req) {
  keep_alive_ = req.keep_alive();
  if (state_ == State::WaitingSecMod || state_ == State::Closed) {
    transition_to(State::Closed);
    return reply(http::error_response(400));
  }
  if (req.method == "GET") {
    if (req.target != "/" && req.target.rfind("/?", 0) != 0) return reply(http::error_response(404));
    if (state_ == State::Authenticated) return reply(xml_response(build_auth_complete(settings_.banner)));
    return form_reply("", "");
  }
  if (req.method == "POST") return on_post(req);
  if (req.method == "CONNECT") {
    // The tunnel comes with the CSTP work; until then say so plainly (openconnect prints X-Reason).
    auto r = http::error_response(503);
    r.headers.emplace_back("X-Reason", "the tunnel is not available on this server yet");
    transition_to(State::Closed);
    return reply(std::move(r));
  }
  transition_to(State::Closed);
  return reply(http::error_response(405));
}

Step AuthFlow::on_post(http::Request& req) {
  auto parsed = looks_like_xml(req) ? parse_client_auth_xml(req.body) : parse_client_auth_form(req.body);
  wipe_string(req.body);
  if (!parsed.ok()) {
    transition_to(State::Closed);
    return reply(http::error_response(400));
  }
  ClientAuth& a = parsed.value();
  if (state_ == State::Authenticated) {
    wipe_string(a.password);
    transition_to(State::Closed);
    return reply(http::error_response(403));
  }
  if (a.type == ClientAuth::Type::Init) return form_reply("", a.group);
  if (a.type == ClientAuth::Type::Logout) {
    auto r = xml_response(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"complete\">"
        "<logout>ok</logout></config-auth>\n");
    return reply(std::move(r));
  }
  // openconnect posts only <group-select> when the user picks another group: show the form again.
  if (a.username.empty() && !a.has_password) return form_reply("", a.group);
  if (a.username.empty() || !a.has_password) {
    wipe_string(a.password);
    return form_reply("Please enter your username and password.", a.group);
  }
  Step s;
  s.kind = Step::Kind::AskSecMod;
  s.auth_init.set_username(a.username);
  s.auth_init.set_group(a.group);
  s.auth_init.set_password(a.password);
  if (const std::string* ua = req.header("user-agent")) s.auth_init.set_user_agent(ua->substr(0, 256));
  wipe_string(a.password);
  pending_group_ = a.group;
  transition_to(State::WaitingSecMod);
  return s;
}

Step AuthFlow::on_secmod_reply(const ipc::AuthReply& r) {
  if (state_ != State::WaitingSecMod) {
    transition_to(State::Closed);
    return reply(http::error_response(500));
  }
  switch (r.status()) {
    case ipc::AuthReply::SUCCESS: {
      transition_to(State::Authenticated);
      auto resp = xml_response(build_auth_complete(settings_.banner));
      resp.headers.emplace_back("Set-Cookie", "webvpn=" + r.cookie() + "; Secure; HttpOnly");
      resp.headers.emplace_back("Set-Cookie",
                                "webvpnc=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; Secure");
      resp.close = !keep_alive_;
      return reply(std::move(resp));
    }
    case ipc::AuthReply::RETRY:
      transition_to(State::Idle);
      return form_reply(r.message(), pending_group_);
    case ipc::AuthReply::DENIED:
    default: {
      transition_to(State::Closed);
      auto resp = xml_response(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"auth-request\">"
          "<auth id=\"main\"><message>" +
          xml_escape(r.message()) + "</message></auth></config-auth>\n");
      resp.status = 401;
      resp.close = true;
      return reply(std::move(resp));
    }
  }
}

}  // namespace sslvpn::anyconnect
