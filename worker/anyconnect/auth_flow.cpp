#include "worker/anyconnect/auth_flow.hpp"

#include <charconv>

#include "common/ip_addr.hpp"
#include "common/secret_bytes.hpp"
#include "worker/anyconnect/connect_reply.hpp"

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

uint32_t header_uint(const http::Request& req, std::string_view name) {
  const std::string* v = req.header(name);
  uint32_t out = 0;
  if (v) (void)std::from_chars(v->data(), v->data() + v->size(), out);
  return out;
}

bool is_cookie(const std::string& c) {
  if (c.size() != 64) return false;
  for (char ch : c)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

}  // namespace

std::optional<ipc::SessionRequest> parse_connect_request(const http::Request& req) {
  const std::string* cookie_header = req.header("cookie");
  if (!cookie_header) return std::nullopt;
  auto cookie = cstp::cookie_value(*cookie_header, "webvpn");
  if (!cookie || !is_cookie(*cookie)) return std::nullopt;
  ipc::SessionRequest r;
  r.set_cookie(*cookie);
  if (const std::string* h = req.header("x-cstp-hostname")) r.set_hostname(h->substr(0, 255));
  if (const std::string* ua = req.header("user-agent")) r.set_user_agent(ua->substr(0, 255));
  // On a reconnect openconnect names its old addresses (one header per family).
  for (const auto& h : req.headers) {
    if (h.name != "x-cstp-address") continue;
    auto a = parse_ip(h.value);
    if (a && a->is_v4()) r.set_wanted_ipv4(a->to_string());
    if (a && !a->is_v4()) r.set_wanted_ipv6(a->to_string());
  }
  r.set_base_mtu(header_uint(req, "x-cstp-base-mtu"));
  r.set_client_mtu(header_uint(req, "x-cstp-mtu"));
  const std::string* v6 = req.header("x-cstp-full-ipv6-capability");
  r.set_ipv6(v6 != nullptr && *v6 == "true");
  // Phones (AnyConnect mobile, openconnect --os=android|apple-ios) name their device type.
  r.set_mobile(req.header("x-anyconnect-identifier-devicetype") != nullptr);
  if (const std::string* t = req.header("x-anyconnect-identifier-devicetype"))
    r.set_device_type(t->substr(0, 64));
  if (const std::string* p = req.header("x-anyconnect-identifier-platform"))
    r.set_device_platform(p->substr(0, 64));
  return r;
}

Step AuthFlow::form_reply(const std::string& error, const std::string& selected_group) {
  LoginForm f;
  f.error = error;
  f.banner = settings_.pre_login_banner;
  f.groups = settings_.groups;
  f.selected_group = selected_group;
  if (!url_group_.empty()) {  // the URL chose: offer only that group (with its label if listed)
    GroupOption only{url_group_, url_group_};
    for (const auto& g : settings_.groups)
      if (g.name == url_group_) only = g;
    f.groups = {only};
    f.selected_group = url_group_;
  }
  auto r = xml_response(build_auth_request(f));
  r.close = !keep_alive_;
  return reply(std::move(r));
}

Step AuthFlow::pending_form_reply() {
  auto r = xml_response(build_auth_request(pending_form_));
  r.close = !keep_alive_;
  return reply(std::move(r));
}

void AuthFlow::attach_certificate(ipc::AuthInit& init) {
  if (settings_.cert_login == 0 || cert_sent_) return;
  cert_sent_ = true;
  for (const auto& der : settings_.client_certs) init.add_client_cert_der(der);
}

Step AuthFlow::ask_with_certificate(const std::string& group) {
  Step s;
  s.kind = Step::Kind::AskSecMod;
  auto* init = s.request.mutable_auth_init();
  init->set_group(group);
  attach_certificate(*init);
  pending_group_ = group;
  transition_to(State::WaitingSecMod);
  return s;
}

std::optional<Step> AuthFlow::on_group_url_post(http::Request& req, std::string_view path) {
  // Idle: the first request, or a new try after a wrong password; Answering: a form's answer
  // posted back to the group's URL (as the first one was).
  if (!settings_.group_by_url || (state_ != State::Idle && state_ != State::Answering) ||
      req.method != "POST")
    return std::nullopt;
  if (path.size() < 2 || path.front() != '/') return std::nullopt;
  std::string_view name = path.substr(1);
  if (name.back() == '/') name.remove_suffix(1);  // https://server/GROUP/
  if (name.empty() || name.size() > 64) return std::nullopt;
  for (char ch : name) {  // visible ASCII (sec-mod takes UTF-8 strings), one path segment
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e || ch == '/') return std::nullopt;
  }
  url_group_ = std::string(name);  // until the next request: sec-mod's first answer is its form
  return answer(req);
}

std::string AuthFlow::auth_complete() const {
  if (settings_.profile_xml.empty()) return build_auth_complete(settings_.banner);
  return build_auth_complete(settings_.banner, ProfileRef{settings_.profile_name, settings_.profile_sha1});
}

Step AuthFlow::profile_request(const http::Request& req) {
  if (state_ == State::Authenticated || settings_.profile_xml.empty()) return profile_reply();
  const std::string* cookies = req.header("cookie");
  auto cookie = cookies ? cstp::cookie_value(*cookies, "webvpn") : std::nullopt;
  if (state_ != State::Idle || !cookie || !is_cookie(*cookie)) return profile_reply();  // 404
  Step s;
  s.kind = Step::Kind::AskSecMod;
  s.request.mutable_auth_init()->set_prior_cookie(*cookie);
  s.request.mutable_auth_init()->set_cookie_check(true);  // a live session's? no login
  profile_pending_ = true;
  transition_to(State::WaitingSecMod);
  return s;
}

// Anything but a logged-in connection gets the 404 of a path that does not exist, as ocserv's
// does without a profile.
Step AuthFlow::profile_reply() {
  if (state_ != State::Authenticated || settings_.profile_xml.empty())
    return reply(http::error_response(404));
  return reply(profile_response(!keep_alive_));
}

http::Response AuthFlow::profile_response(bool close) const {
  http::Response r;
  r.headers.emplace_back("Content-Type", "text/xml");
  r.body = settings_.profile_xml;
  r.close = close;
  return r;
}

Step AuthFlow::on_request(http::Request& req) {
  url_group_.clear();  // the URL's choice holds for its own request and the answer to it
  return answer(req);
}

Step AuthFlow::answer(http::Request& req) {
  keep_alive_ = req.keep_alive();
  if (state_ == State::WaitingSecMod || state_ == State::Closed) {
    transition_to(State::Closed);
    return reply(http::error_response(400));
  }
  // Which paths reach us is the front's business (worker/http/router): "/", "/auth", "/VPN",
  // "/profiles/".
  if (req.method == "GET" && http::path_of(req.target).starts_with("/profiles")) return profile_request(req);
  if (req.method == "GET") {
    if (state_ == State::Authenticated) return reply(xml_response(auth_complete()));
    if (state_ == State::Answering) return pending_form_reply();
    if (settings_.cert_login != 0 && !cert_sent_) return ask_with_certificate("");
    return form_reply("", "");
  }
  if (req.method == "POST") return on_post(req);
  if (req.method == "CONNECT") {
    transition_to(State::Closed);
    if (req.target != "/CSCOSSLC/tunnel") return reply(http::error_response(404));
    auto sr = parse_connect_request(req);
    if (!sr) return reply(http::error_response(401));
    Step s;
    s.kind = Step::Kind::Connect;
    s.session_request = std::move(*sr);
    if (const std::string* d = req.header("x-dtls-ciphersuite"))
      s.dtls_offer.ciphersuites = d->substr(0, 1024);
    if (const std::string* d = req.header("x-dtls12-ciphersuite"))
      s.dtls_offer.ciphersuites12 = d->substr(0, 1024);
    if (const std::string* d = req.header("x-dtls-master-secret"))
      s.dtls_offer.master_secret = d->substr(0, 96);
    if (const std::string* d = req.header("x-cstp-accept-encoding"))
      s.dtls_offer.cstp_encodings = d->substr(0, 256);
    if (const std::string* d = req.header("x-dtls-accept-encoding"))
      s.dtls_offer.dtls_encodings = d->substr(0, 256);
    transition_to(State::Tunnel);
    return s;
  }
  transition_to(State::Closed);
  return reply(http::error_response(405));
}

namespace {
void wipe_auth(ClientAuth& a) {
  wipe_string(a.password);
  for (auto& [name, value] : a.fields) wipe_string(value);
}
}  // namespace

Step AuthFlow::on_answer(ClientAuth& a) {
  // A restarted client (init) or a bare group choice gets the pending form again.
  if (a.type == ClientAuth::Type::Init || a.fields.empty()) {
    wipe_auth(a);
    return pending_form_reply();
  }
  Step s;
  s.kind = Step::Kind::AskSecMod;
  auto* cont = s.request.mutable_auth_continue();
  cont->set_context(context_);
  if (settings_.cert_login != 0)
    for (const auto& der : settings_.client_certs) cont->add_client_cert_der(der);
  for (auto& [name, value] : a.fields) {
    auto* ans = cont->add_answers();
    ans->set_name(name);
    ans->set_value(value);
  }
  wipe_auth(a);
  transition_to(State::WaitingSecMod);
  return s;
}

Step AuthFlow::on_post(http::Request& req) {
  auto parsed = looks_like_xml(req) ? parse_client_auth_xml(req.body) : parse_client_auth_form(req.body);
  wipe_string(req.body);
  if (!parsed.ok()) {
    transition_to(State::Closed);
    return reply(http::error_response(400));
  }
  ClientAuth& a = parsed.value();
  if (!url_group_.empty()) a.group = url_group_;  // select-group-by-url: the URL wins, as in ocserv
  if (state_ == State::Authenticated) {
    wipe_auth(a);
    transition_to(State::Closed);
    return reply(http::error_response(403));
  }
  if (a.type == ClientAuth::Type::Logout) {
    wipe_auth(a);
    auto r = xml_response(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config-auth client=\"vpn\" type=\"complete\">"
        "<logout>ok</logout></config-auth>\n");
    return reply(std::move(r));
  }
  if (state_ == State::Answering) return on_answer(a);
  // Answers to a form of ours that came on a new connection (openconnect with a client
  // certificate opens one per request): sec-mod resumes the login the cookie names.
  if (a.type == ClientAuth::Type::AuthReply && a.username.empty() && !a.fields.empty()) {
    const std::string* cookies = req.header("cookie");
    auto ctx = cookies ? cstp::cookie_value(*cookies, "webvpncontext") : std::nullopt;
    if (ctx && is_cookie(*ctx)) {
      context_ = *ctx;
      return on_answer(a);
    }
  }
  if (a.type == ClientAuth::Type::Init || (a.username.empty() && !a.has_password)) {
    wipe_auth(a);
    if (settings_.cert_login != 0 && !cert_sent_) return ask_with_certificate(a.group);
    // openconnect posts only <group-select> when the user picks another group: show the form again.
    return form_reply("", a.group);
  }
  if (a.username.empty() || !a.has_password) {
    wipe_auth(a);
    return form_reply("Please enter your username and password.", a.group);
  }
  Step s;
  s.kind = Step::Kind::AskSecMod;
  auto* init = s.request.mutable_auth_init();
  init->set_username(a.username);
  init->set_group(a.group);
  init->set_password(a.password);
  init->set_has_password(true);
  if (const std::string* ua = req.header("user-agent")) init->set_user_agent(ua->substr(0, 256));
  attach_certificate(*init);
  wipe_auth(a);
  pending_group_ = a.group;
  transition_to(State::WaitingSecMod);
  return s;
}

Step AuthFlow::on_secmod_reply(const ipc::AuthReply& r) {
  if (state_ != State::WaitingSecMod) {
    transition_to(State::Closed);
    return reply(http::error_response(500));
  }
  if (profile_pending_) {  // the cookie of a GET /profiles/: good, the profile; else not found
    profile_pending_ = false;
    if (r.status() != ipc::AuthReply::SUCCESS) {
      transition_to(State::Closed);
      return reply(http::error_response(404));
    }
    transition_to(State::Closed);  // this connection logged nobody in: nothing else on it
    return reply(profile_response(true));
  }
  switch (r.status()) {
    case ipc::AuthReply::SUCCESS: {
      transition_to(State::Authenticated);
      auto resp = xml_response(auth_complete());
      resp.headers.emplace_back("Set-Cookie", "webvpn=" + r.cookie() + "; Secure; HttpOnly");
      resp.headers.emplace_back("Set-Cookie",
                                "webvpnc=; expires=Thu, 01 Jan 1970 22:00:00 GMT; path=/; Secure");
      if (!context_.empty())
        resp.headers.emplace_back("Set-Cookie",
                                  "webvpncontext=; expires=Thu, 01 Jan 1970 22:00:00 GMT; Secure");
      resp.close = !keep_alive_;
      return reply(std::move(resp));
    }
    case ipc::AuthReply::CONTINUE: {
      pending_form_ = LoginForm{};
      pending_form_.message = r.form().message();
      pending_form_.error = r.message();
      for (const auto& f : r.form().fields())
        pending_form_.inputs.push_back({f.kind() == ipc::FormField::PASSWORD, f.name(), f.label()});
      if (pending_form_.inputs.empty()) {  // sec-mod always names an input; never serve an empty form
        transition_to(State::Closed);
        return reply(http::error_response(500));
      }
      transition_to(State::Answering);
      context_ = r.context();
      Step st = pending_form_reply();
      if (is_cookie(context_))
        st.reply.headers.emplace_back("Set-Cookie", "webvpncontext=" + context_ + "; Secure; HttpOnly");
      return st;
    }
    case ipc::AuthReply::RETRY:
      transition_to(State::Idle);
      return form_reply(r.message(), pending_group_);
    case ipc::AuthReply::DENIED:
    default: {
      transition_to(State::Closed);
      if (r.show_message()) {
        auto resp = xml_response(build_auth_notice("Login refused.", r.message()));
        resp.close = true;
        return reply(std::move(resp));
      }
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
