#include "sec-mod/radius_auth.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "common/ip_addr.hpp"
#include "common/passwd_file.hpp"
#include "common/secret_bytes.hpp"
#include "common/text.hpp"
#include "sec-mod/plain_auth.hpp"
#include "sec-mod/radcli_handle.hpp"

namespace sslvpn::secmod {
namespace {

// Challenge rounds in one login (a server that keeps challenging cannot hold a worker forever).
constexpr int kMaxChallenges = 8;

std::string raw_string(VALUE_PAIR* vp) {
  char* data = nullptr;
  unsigned size = 0;
  if (rc_avpair_get_raw(vp, &data, &size) != 0 || data == nullptr) return {};
  return std::string(data, size);
}

// What an Access-Accept assigns.
AuthStep accepted(VALUE_PAIR* recv, const RadiusParams& p) {
  std::vector<std::string> groups;
  ipc::UserSettings settings;
  for (VALUE_PAIR* vp = recv; vp != nullptr; vp = rc_avpair_next(vp)) {
    unsigned type = 0, id = 0;
    rc_avpair_get_attr(vp, &type, &id);
    uint32_t n = 0;
    switch (id) {
      case PW_FRAMED_IP_ADDRESS:
        if (rc_avpair_get_uint32(vp, &n) == 0 && n != 0xffffffffu && n != 0xfffffffeu) {
          struct in_addr a {
            htonl(n)
          };
          char buf[INET_ADDRSTRLEN];
          if (inet_ntop(AF_INET, &a, buf, sizeof buf)) settings.set_explicit_ipv4(buf);
        }
        break;
      case PW_FRAMED_ROUTE: {
        std::string net = framed_route_network(raw_string(vp));
        if (!net.empty() && settings.routes_size() < 256) settings.add_routes(net);
        break;
      }
      case PW_SESSION_TIMEOUT:
        if (rc_avpair_get_uint32(vp, &n) == 0) settings.set_session_timeout(n);
        break;
      case PW_ACCT_INTERIM_INTERVAL:
        if (rc_avpair_get_uint32(vp, &n) == 0) settings.set_interim_interval(n);
        break;
      case PW_CLASS: {
        if (!p.groupconfig) break;
        // Class may be "engineers" or "OU=engineers;..." (as ocserv accepts).
        std::string c = raw_string(vp);
        if (c.rfind("OU=", 0) == 0)
          c = c.substr(3, c.find(';') == std::string::npos ? std::string::npos : c.find(';') - 3);
        if (valid_group_name(c)) groups.push_back(c);
        break;
      }
      default:
        break;
    }
  }
  AuthStep s = AuthStep::success(std::move(groups));
  s.settings = std::move(settings);
  return s;
}

AuthStep run_radius(const RadiusParams& p, LoginConversation& conv, LoginStart& s) {
  RcHandle rh = open_radcli(p.config);
  if (!rh) {
    wipe_string(s.password);
    return AuthStep::failure("cannot load the RADIUS client configuration '" + p.config + "'");
  }
  std::string password = std::move(s.password);
  wipe_string(s.password);
  if (!s.has_password) {  // certificate + RADIUS: ask for the password first
    auto a = conv.ask(password_form("Please enter your password."));
    if (!a) return AuthStep::failure("no answer to the password form");
    password = answer_for(*a, "password");
    for (auto& x : *a) wipe_string(x.value);
  }
  std::string state;
  for (int round = 0; round <= kMaxChallenges; ++round) {
    VALUE_PAIR* send_raw = nullptr;
    bool ok = av_add_string(rh.get(), &send_raw, PW_USER_NAME, s.user) &&
              av_add_string(rh.get(), &send_raw, PW_USER_PASSWORD, password) &&
              av_add_string(rh.get(), &send_raw, PW_CALLING_STATION_ID, s.client_ip) &&
              av_add_uint(rh.get(), &send_raw, PW_SERVICE_TYPE, PW_FRAMED) &&
              av_add_uint(rh.get(), &send_raw, PW_NAS_PORT_TYPE, PW_VIRTUAL);
    if (ok && !p.nas_identifier.empty())
      ok = av_add_string(rh.get(), &send_raw, PW_NAS_IDENTIFIER, p.nas_identifier);
    if (ok && !state.empty()) ok = av_add_string(rh.get(), &send_raw, PW_STATE, state);
    AvList send(send_raw);
    wipe_string(password);
    if (!ok) return AuthStep::failure("cannot build the RADIUS request");
    VALUE_PAIR* recv_raw = nullptr;
    std::string msg(PW_MAX_MSG_SIZE, '\0');
    int rc = rc_auth(rh.get(), 0, send.get(), &recv_raw, msg.data());
    AvList recv(recv_raw);
    msg.resize(strnlen(msg.data(), msg.size()));
    if (rc == OK_RC) return accepted(recv.get(), p);
    if (rc == REJECT_RC) return AuthStep::failure("rejected by the RADIUS server");
    if (rc != CHALLENGE_RC) {
      AuthStep f = AuthStep::failure("the RADIUS server did not answer (code " + std::to_string(rc) + ")",
                                     "The login service is not available; please try again later.");
      f.count_failure = false;
      return f;
    }
    state.clear();
    for (VALUE_PAIR* vp = recv.get(); vp != nullptr; vp = rc_avpair_next(vp)) {
      unsigned type = 0, id = 0;
      rc_avpair_get_attr(vp, &type, &id);
      if (id == PW_STATE) state = raw_string(vp);
    }
    std::string text(trim(msg));
    ipc::AuthForm f = answer_form(text.empty() ? "Please enter your response:" : text, "Response:");
    auto answers = conv.ask(std::move(f));
    if (!answers) return AuthStep::failure("no answer to the RADIUS challenge");
    password = answer_for(*answers, "secondary_password");
    for (auto& a : *answers) wipe_string(a.value);
  }
  return AuthStep::failure("too many RADIUS challenges");
}

}  // namespace

std::string framed_route_network(std::string_view value) {
  value = trim(value);
  auto sp = value.find_first_of(" \t");
  std::string_view first = value.substr(0, sp);
  if (first.find('/') == std::string_view::npos && sp != std::string_view::npos) {
    // "10.1.0.0 255.255.0.0"
    std::string_view rest = trim(value.substr(sp));
    std::string_view mask = rest.substr(0, rest.find_first_of(" \t"));
    auto n = parse_ip_net(std::string(first) + "/" + std::string(mask));
    return n ? n->to_string() : std::string();
  }
  auto n = parse_ip_net(first);
  if (!n && parse_ip(first))
    n = parse_ip_net(std::string(first) + (first.find(':') == std::string_view::npos ? "/32" : "/128"));
  return n ? n->to_string() : std::string();
}

LoginJob RadiusBackend::job() const {
  return [p = params_](LoginConversation& conv, LoginStart& s) { return run_radius(p, conv, s); };
}

}  // namespace sslvpn::secmod
