#include "sec-mod/radius_auth.hpp"

#include <cstring>

#include "common/ip_addr.hpp"
#include "common/passwd_file.hpp"
#include "common/secret_bytes.hpp"
#include "common/text.hpp"
#include "sec-mod/plain_auth.hpp"
#include "sec-mod/radcli_handle.hpp"
#include "sec-mod/radius_reply.hpp"

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

// A reply's attributes in wire form (radius_reply.hpp), as radcli decoded them.
std::vector<RadiusAttr> reply_attrs(VALUE_PAIR* recv) {
  std::vector<RadiusAttr> out;
  for (VALUE_PAIR* vp = recv; vp != nullptr && out.size() < 1024; vp = rc_avpair_next(vp)) {
    unsigned type = 0, id = 0;
    rc_avpair_get_attr(vp, &type, &id);
    RadiusAttr a{id, {}};
    uint32_t n = 0;
    struct in6_addr in6 {};
    unsigned prefix = 0;
    if ((type == PW_TYPE_INTEGER || type == PW_TYPE_IPADDR) && rc_avpair_get_uint32(vp, &n) == 0) {
      a.value = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                 static_cast<char>(n)};
    } else if (type == PW_TYPE_IPV6ADDR && rc_avpair_get_in6(vp, &in6, nullptr) == 0) {
      a.value.assign(reinterpret_cast<const char*>(&in6), 16);
    } else if (type == PW_TYPE_IPV6PREFIX && rc_avpair_get_in6(vp, &in6, &prefix) == 0) {
      if (prefix > 128) continue;  // not a prefix
      a.value = {'\0', static_cast<char>(prefix)};
      a.value.append(reinterpret_cast<const char*>(&in6), (prefix + 7) / 8);
    } else if (type == PW_TYPE_STRING) {
      a.value = raw_string(vp);
    } else {
      continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

// What an Access-Accept assigns (radius_reply.hpp), or why it still refuses the login.
AuthStep accepted(VALUE_PAIR* recv, const RadiusParams& p) {
  RadiusAssignment r = radius_assignment(reply_attrs(recv), p.groupconfig);
  if (r.refused) return AuthStep::failure(r.why);
  AuthStep s = AuthStep::success(std::move(r.groups));
  s.settings = std::move(r.settings);
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
