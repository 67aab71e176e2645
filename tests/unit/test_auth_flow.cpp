#include <catch2/catch.hpp>
#include "worker/http/router.hpp"

#include "worker/anyconnect/auth_flow.hpp"

using namespace sslvpn;
using namespace sslvpn::anyconnect;

namespace {

http::Request post(std::string body, std::string target = "/") {
  http::Request r;
  r.method = "POST";
  r.target = std::move(target);
  r.body = std::move(body);
  return r;
}

AuthFlow make_flow() {
  AuthSettings s;
  s.groups = {{"DEFAULT", "DEFAULT"}, {"staff", "Staff"}};
  s.banner = "Welcome";
  s.pre_login_banner = "Authorized use only";
  return AuthFlow(s);
}

const char* kReply =
    "<config-auth client=\"vpn\" type=\"auth-reply\"><auth><username>alice</username>"
    "<password>pw</password></auth><group-select>staff</group-select></config-auth>";

}  // namespace

TEST_CASE("flow: init gets the form with groups and pre-login banner", "[flow]") {
  AuthFlow f = make_flow();
  auto req = post("<config-auth client=\"vpn\" type=\"init\"></config-auth>");
  Step s = f.on_request(req);
  REQUIRE(s.kind == Step::Kind::Reply);
  CHECK(s.reply.status == 200);
  CHECK(s.reply.body.find("type=\"auth-request\"") != std::string::npos);
  CHECK(s.reply.body.find("<banner>Authorized use only</banner>") != std::string::npos);
  CHECK(s.reply.body.find("<option value=\"staff\">Staff</option>") != std::string::npos);
  CHECK(f.state() == AuthFlow::State::Idle);
}

TEST_CASE("flow: credentials go to sec-mod; success sets the cookie", "[flow]") {
  AuthFlow f = make_flow();
  auto req = post(kReply, "/auth");
  Step s = f.on_request(req);
  REQUIRE(s.kind == Step::Kind::AskSecMod);
  CHECK(s.request.auth_init().username() == "alice");
  CHECK(s.request.auth_init().password() == "pw");
  CHECK(s.request.auth_init().group() == "staff");
  CHECK(req.body.empty());  // wiped
  CHECK(f.state() == AuthFlow::State::WaitingSecMod);

  ipc::AuthReply ok;
  ok.set_status(ipc::AuthReply::SUCCESS);
  ok.set_cookie("c00k1e");
  Step done = f.on_secmod_reply(ok);
  REQUIRE(done.kind == Step::Kind::Reply);
  CHECK(done.reply.body.find("type=\"complete\"") != std::string::npos);
  CHECK(done.reply.body.find("<banner>Welcome</banner>") != std::string::npos);
  bool has_cookie = false;
  for (auto& [k, v] : done.reply.headers)
    has_cookie |= (k == "Set-Cookie" && v.rfind("webvpn=c00k1e;", 0) == 0);
  CHECK(has_cookie);
  CHECK(f.state() == AuthFlow::State::Authenticated);

  // A second login on the same connection is refused.
  auto again = post(kReply, "/auth");
  CHECK(f.on_request(again).reply.status == 403);
}

TEST_CASE("flow: retry re-shows the form with the error; denied ends with 401", "[flow]") {
  AuthFlow f = make_flow();
  auto req = post(kReply, "/auth");
  REQUIRE(f.on_request(req).kind == Step::Kind::AskSecMod);
  ipc::AuthReply retry;
  retry.set_status(ipc::AuthReply::RETRY);
  retry.set_message("Login failed.");
  Step s = f.on_secmod_reply(retry);
  CHECK(s.reply.status == 200);
  CHECK(s.reply.body.find("<error id=\"main\">Login failed.</error>") != std::string::npos);
  CHECK(s.reply.body.find("selected=\"true\">Staff") != std::string::npos);
  CHECK(f.state() == AuthFlow::State::Idle);

  auto req2 = post(kReply, "/auth");
  REQUIRE(f.on_request(req2).kind == Step::Kind::AskSecMod);
  ipc::AuthReply denied;
  denied.set_status(ipc::AuthReply::DENIED);
  Step d = f.on_secmod_reply(denied);
  CHECK(d.reply.status == 401);
  CHECK(d.reply.close);
  CHECK(f.state() == AuthFlow::State::Closed);
}

TEST_CASE("flow: missing fields, group changes, bad bodies and methods", "[flow]") {
  AuthFlow f = make_flow();
  auto group_only = post("<config-auth type=\"auth-reply\"><group-select>staff</group-select></config-auth>");
  Step g = f.on_request(group_only);
  CHECK(g.kind == Step::Kind::Reply);
  CHECK(g.reply.body.find("<error") == std::string::npos);

  auto no_pw = post("username=alice");
  Step n = f.on_request(no_pw);
  CHECK(n.reply.body.find("<error") != std::string::npos);

  auto form = post("username=alice&password=pw");
  CHECK(f.on_request(form).kind == Step::Kind::AskSecMod);

  AuthFlow f2 = make_flow();
  auto junk = post("<config-auth");
  CHECK(f2.on_request(junk).reply.status == 400);

  AuthFlow f3 = make_flow();
  http::Request del;
  del.method = "DELETE";
  del.target = "/";
  CHECK(f3.on_request(del).reply.status == 405);

  AuthFlow f4 = make_flow();
  http::Request get;
  get.method = "GET";
  get.target = "/";
  CHECK(f4.on_request(get).reply.body.find("auth-request") != std::string::npos);
}

TEST_CASE("https front: AnyConnect's paths, 404 for the rest, 405 for a known path's other methods",
          "[http][router]") {
  auto r = http::anyconnect_routes();
  auto engine = [&](std::string_view m, std::string_view t) { return http::route_request(r, m, t).engine; };
  auto status = [&](std::string_view m, std::string_view t) { return http::route_request(r, m, t).status; };
  CHECK(engine("GET", "/") == http::Engine::AnyConnect);
  CHECK(engine("GET", "/?group=x") == http::Engine::AnyConnect);
  CHECK(engine("POST", "/") == http::Engine::AnyConnect);
  CHECK(engine("POST", "/auth") == http::Engine::AnyConnect);
  CHECK(engine("POST", "/VPN") == http::Engine::AnyConnect);
  CHECK(engine("GET", "/auth") == http::Engine::AnyConnect);
  CHECK(engine("CONNECT", "/CSCOSSLC/tunnel") == http::Engine::AnyConnect);
  // A POST to any other path used to be taken as an AnyConnect login (issue #12).
  CHECK(status("POST", "/anything") == 404);
  CHECK(status("POST", "/authx") == 404);
  CHECK(status("GET", "/etc/passwd") == 404);
  CHECK(status("GET", "/global-protect/prelogin.esp") == 404);
  CHECK(status("CONNECT", "/") == 405);
  CHECK(status("DELETE", "/") == 405);
  CHECK(status("CONNECT", "/CSCOSSLC/tunnelx") == 404);
  CHECK(status("GET", "/CSCOSSLC/tunnel") == 405);
}
