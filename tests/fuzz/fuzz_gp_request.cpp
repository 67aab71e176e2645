// GlobalProtect's login front fed arbitrary HTTP: the bytes are parsed as requests (the HTTPS
// front's parser) and each one goes through the router and GpFlow, with sec-mod's answers
// chosen by the input. Form bodies and cookies parse or are refused; nothing crashes, and a
// step that reaches sec-mod or main never carries a cookie that is not of our form.
#include <cstdint>
#include <string>

#include "worker/gp/gp_flow.hpp"
#include "worker/http/router.hpp"

using namespace sslvpn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  if (n == 0) return 0;
  gp::GpSettings st;
  st.portal = d[0] & 1;
  st.cert_login = (d[0] >> 1) & 3;
  if (st.cert_login) st.client_certs.push_back("cert");
  gp::GpFlow flow(st);
  std::span<const uint8_t> in(d + 1, n - 1);
  for (int round = 0; round < 16 && !in.empty(); ++round) {
    auto p = http::parse_request(in, http::Limits{});
    if (!p.ok() || !p->has_value()) break;
    in = in.subspan((*p)->consumed);
    http::Request req = std::move((*p)->request);
    if (http::route_front(req.method, req.target, true).engine != http::Engine::GlobalProtect) continue;
    gp::Step s = flow.on_request(req);
    for (int i = 0; i < 4 && s.kind == gp::Step::Kind::AskSecMod; ++i) {
      ipc::AuthReply r;
      r.set_status(static_cast<ipc::AuthReply::Status>(round % 4));
      r.set_cookie(std::string(64, 'a'));
      r.set_context(std::string(64, 'c'));
      r.set_username("u");
      s = flow.on_secmod_reply(r);
    }
    if ((s.kind == gp::Step::Kind::GetConfig || s.kind == gp::Step::Kind::Tunnel) &&
        !gp::is_auth_cookie(s.session_request.cookie()))
      __builtin_trap();
    if (s.kind == gp::Step::Kind::Logout) s = flow.on_logout_reply(round & 1);
    if (flow.state() == gp::GpFlow::State::Closed) break;
  }
  // The form parser on its own, with the cookie reader.
  auto f = http::parse_form(std::string_view(reinterpret_cast<const char*>(d), n));
  if (f.ok()) {
    if (f->fields().size() > http::FormLimits{}.max_fields) __builtin_trap();
    auto c = gp::cookie_from(*f);
    if (c && !gp::is_auth_cookie(c->authcookie)) __builtin_trap();
  }
  return 0;
}
