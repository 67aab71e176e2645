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

TEST_CASE("flow: select-group-by-url: a POST to /GROUP asks for that group and offers only it", "[flow]") {
  AuthSettings s;
  s.groups = {{"DEFAULT", "DEFAULT"}, {"staff", "Staff"}, {"admins", "Admins"}};
  s.group_by_url = true;
  AuthFlow f(s);
  auto init = post("<config-auth client=\"vpn\" type=\"init\"></config-auth>", "/staff");
  auto form = f.on_group_url_post(init, "/staff");
  REQUIRE(form);
  REQUIRE(form->kind == Step::Kind::Reply);
  CHECK(form->reply.status == 200);
  CHECK(form->reply.body.find("<option value=\"staff\" selected=\"true\">Staff</option>") !=
        std::string::npos);
  CHECK(form->reply.body.find("admins") == std::string::npos);  // no other choice, no default
  CHECK(form->reply.body.find("DEFAULT") == std::string::npos);
  // Credentials posted to /GROUP: the URL's group wins over the body's.
  AuthFlow g(s);
  auto creds = post(kReply, "/admins");
  auto asked = g.on_group_url_post(creds, "/admins/");
  REQUIRE(asked);
  REQUIRE(asked->kind == Step::Kind::AskSecMod);
  CHECK(asked->request.auth_init().group() == "admins");
  // After the URL's request the form's own answers decide.
  AuthFlow h(s);
  auto first = post("<config-auth client=\"vpn\" type=\"init\"></config-auth>", "/admins");
  REQUIRE(h.on_group_url_post(first, "/admins"));
  auto then = post(kReply, "/auth");  // names staff
  Step next = h.on_request(then);
  REQUIRE(next.kind == Step::Kind::AskSecMod);
  CHECK(next.request.auth_init().group() == "staff");
  // A wrong password after a URL login: the retry form has the whole list, the group pre-selected.
  AuthFlow r(s);
  auto creds2 = post(kReply, "/admins");
  REQUIRE(r.on_group_url_post(creds2, "/admins")->kind == Step::Kind::AskSecMod);
  ipc::AuthReply retry;
  retry.set_status(ipc::AuthReply::RETRY);
  retry.set_message("Wrong password");
  Step again = r.on_secmod_reply(retry);
  CHECK(again.reply.body.find("<option value=\"admins\" selected=\"true\">Admins</option>") !=
        std::string::npos);
  // ... and the new try may go to the group's URL again (as the first did), on the same connection.
  auto creds3 = post(kReply, "/admins");
  auto retried = r.on_group_url_post(creds3, "/admins");
  REQUIRE(retried);
  REQUIRE(retried->kind == Step::Kind::AskSecMod);
  CHECK(retried->request.auth_init().group() == "admins");
  // A form of sec-mod's (an OTP code) answered at the group's URL: the answer goes on.
  ipc::AuthReply otp;
  otp.set_status(ipc::AuthReply::CONTINUE);
  otp.set_context(std::string(64, 'c'));
  auto* field = otp.mutable_form()->add_fields();
  field->set_kind(ipc::FormField::PASSWORD);
  field->set_name("secondary_password");
  field->set_label("OTP");
  (void)r.on_secmod_reply(otp);
  REQUIRE(r.state() == AuthFlow::State::Answering);
  auto code = post(
      "<config-auth client=\"vpn\" type=\"auth-reply\"><auth><secondary_password>123456"
      "</secondary_password></auth></config-auth>",
      "/admins");
  auto answered = r.on_group_url_post(code, "/admins");
  REQUIRE(answered);
  REQUIRE(answered->kind == Step::Kind::AskSecMod);
  CHECK(answered->request.has_auth_continue());
  // An unlisted group goes to sec-mod as asked (membership is sec-mod's check), listed as itself.
  AuthFlow u(s);
  auto other = post("<config-auth client=\"vpn\" type=\"init\"></config-auth>", "/ops");
  auto uf = u.on_group_url_post(other, "/ops");
  REQUIRE(uf);
  CHECK(uf->reply.body.find("<option value=\"ops\" selected=\"true\">ops</option>") != std::string::npos);
}

TEST_CASE("flow: select-group-by-url: a certificate login's first form offers only the URL's group",
          "[flow]") {
  AuthSettings s;
  s.groups = {{"DEFAULT", "DEFAULT"}, {"staff", "Staff"}, {"admins", "Admins"}};
  s.group_by_url = true;
  s.cert_login = 1;  // optional: sec-mod decides first, then our form
  AuthFlow f(s);
  auto init = post("<config-auth client=\"vpn\" type=\"init\"></config-auth>", "/staff");
  auto asked = f.on_group_url_post(init, "/staff");
  REQUIRE(asked);
  REQUIRE(asked->kind == Step::Kind::AskSecMod);
  CHECK(asked->request.auth_init().group() == "staff");
  ipc::AuthReply retry;
  retry.set_status(ipc::AuthReply::RETRY);
  Step form = f.on_secmod_reply(retry);
  REQUIRE(form.kind == Step::Kind::Reply);
  CHECK(form.reply.body.find("<option value=\"staff\" selected=\"true\">Staff</option>") !=
        std::string::npos);
  CHECK(form.reply.body.find("admins") == std::string::npos);
}

TEST_CASE("flow: select-group-by-url: not a group path, off, or the flow begun: not found", "[flow]") {
  AuthSettings s;
  s.groups = {{"staff", "Staff"}};
  s.group_by_url = true;
  for (const std::string& path :
       {std::string("/"), std::string("//"), std::string("/a/b"), std::string("/a b"), std::string("/\x01"),
        std::string("/\xc3\xa9"), std::string("xops"), "/" + std::string(65, 'a')}) {
    AuthFlow f(s);
    auto req = post("<config-auth client=\"vpn\" type=\"init\"></config-auth>", path);
    INFO(path);
    CHECK_FALSE(f.on_group_url_post(req, path));
  }
  AuthFlow get_flow(s);
  http::Request get;
  get.method = "GET";
  get.target = "/staff";
  CHECK_FALSE(get_flow.on_group_url_post(get, "/staff"));  // GET /GROUP is 404, as in ocserv
  AuthSettings off = s;
  off.group_by_url = false;
  AuthFlow o(off);
  auto req = post(kReply, "/staff");
  CHECK_FALSE(o.on_group_url_post(req, "/staff"));
  AuthFlow begun(s);
  auto creds = post(kReply, "/auth");
  REQUIRE(begun.on_request(creds).kind == Step::Kind::AskSecMod);
  auto late = post(kReply, "/staff");
  CHECK_FALSE(begun.on_group_url_post(late, "/staff"));
}

TEST_CASE("flow: user-profile: the manifest in the login's answer, the profile to that connection only",
          "[flow]") {
  AuthSettings s;
  s.profile_name = "corp.xml";
  s.profile_xml = "<AnyConnectProfile><ServerList/></AnyConnectProfile>\n";
  s.profile_sha1 = "0123456789abcdef0123456789abcdef01234567";
  AuthFlow f(s);
  http::Request get;
  get.method = "GET";
  get.target = "/profiles/corp.xml";
  // Before the login: a path that does not exist.
  CHECK(f.on_request(get).reply.status == 404);

  AuthFlow g(s);
  auto req = post(kReply, "/auth");
  REQUIRE(g.on_request(req).kind == Step::Kind::AskSecMod);
  ipc::AuthReply ok;
  ok.set_status(ipc::AuthReply::SUCCESS);
  ok.set_cookie("c00k1e");
  Step done = g.on_secmod_reply(ok);
  const std::string& body = done.reply.body;
  CHECK(body.find("<vpn-profile-manifest><vpn rev=\"1.0\"><file type=\"profile\" service-type=\"user\">"
                  "<uri>/profiles/corp.xml</uri><hash type=\"sha1\">" +
                  s.profile_sha1 + "</hash>") != std::string::npos);
  CHECK(body.find("</config>\n</config-auth>") != std::string::npos);
  // Any name under /profiles/ (openconnect appends ":PORT" to the path on another port than 443).
  for (const char* target : {"/profiles/corp.xml", "/profiles/corp.xml:4443", "/profiles/other"}) {
    get.target = target;
    Step p = g.on_request(get);
    INFO(target);
    CHECK(p.reply.status == 200);
    CHECK(p.reply.body == s.profile_xml);
    CHECK(g.state() == AuthFlow::State::Authenticated);  // CONNECT may follow
  }
  // A new connection (Cisco's downloader) with a webvpn cookie: sec-mod checks it first.
  std::string cookie(64, 'a');
  for (auto status : {ipc::AuthReply::SUCCESS, ipc::AuthReply::RETRY, ipc::AuthReply::DENIED}) {
    AuthFlow n(s);
    http::Request c = get;
    c.target = "/profiles/corp.xml";
    c.headers.push_back({"cookie", "webvpnc=x; webvpn=" + cookie});
    Step ask = n.on_request(c);
    REQUIRE(ask.kind == Step::Kind::AskSecMod);
    CHECK(ask.request.auth_init().prior_cookie() == cookie);
    CHECK_FALSE(ask.request.auth_init().has_password());
    CHECK(ask.request.auth_init().cookie_check());
    ipc::AuthReply r;
    r.set_status(status);
    Step out = n.on_secmod_reply(r);
    INFO(static_cast<int>(status));
    CHECK(out.reply.status == (status == ipc::AuthReply::SUCCESS ? 200 : 404));
    CHECK((out.reply.body == s.profile_xml) == (status == ipc::AuthReply::SUCCESS));
    for (auto& [k, v] : out.reply.headers) CHECK(k != "Set-Cookie");
  }
  AuthFlow n(s);
  http::Request bad = get;
  bad.headers.push_back({"cookie", "webvpn=not-a-cookie"});
  CHECK(n.on_request(bad).reply.status == 404);  // not asked
  // Without a profile: no manifest, and /profiles/ is not found even after the login.
  AuthFlow h(AuthSettings{});
  auto req2 = post(kReply, "/auth");
  (void)h.on_request(req2);
  CHECK(h.on_secmod_reply(ok).reply.body.find("vpn-profile-manifest") == std::string::npos);
  get.target = "/profiles/corp.xml";
  CHECK(h.on_request(get).reply.status == 404);
  // The front routes GET under /profiles/ to AnyConnect, and nothing else there.
  auto r = http::anyconnect_routes();
  CHECK(http::route_request(r, "GET", "/profiles/x.xml").engine == http::Engine::AnyConnect);
  CHECK(http::route_request(r, "POST", "/profiles/x.xml").status == 405);
  CHECK(http::route_request(r, "GET", "/profilesx").status == 404);
}
