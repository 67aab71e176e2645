// GlobalProtect's request fields and reply documents (openconnect's gpst.c and
// auth-globalprotect.c read them; ../shared/protocols.md section B). Pure functions: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ipc.pb.h"
#include "worker/gp/esp.hpp"
#include "worker/http/form.hpp"

namespace sslvpn::gp {

// The "cookie" a client sends with getconfig, hipreportcheck, logout and the tunnel GET: the
// fields of our login reply, as form fields.
struct GpCookie {
  std::string authcookie;  // sec-mod's cookie (64 hex digits)
  std::string user;
  std::string portal;
  std::string domain;
  std::string computer;
  std::string preferred_ip;  // the address it had (reconnect)
  std::string preferred_ipv6;
};

// nullopt when authcookie is not of our form or user is missing.
std::optional<GpCookie> cookie_from(const http::Form& f);
bool is_auth_cookie(const std::string& c);

// prelogin.esp: the labels of the login form, or (portal off) "portal does not exist".
std::string prelogin_reply(const std::string& message);
std::string prelogin_no_portal();

// The portal's configuration: its gateways, and the cookie that spares the second login.
struct PortalConfig {
  std::string portal_name;
  std::vector<std::string> gateways;  // "host[:port]"
  std::string user;
  std::string portal_cookie;
  uint32_t hip_interval = 3600;
};
std::string portal_config(const PortalConfig& c);

// login.esp's success: the jnlp argument list, positional.
struct LoginResult {
  std::string authcookie;
  std::string persistent;  // 40 hex digits (the client only keeps it)
  std::string portal;
  std::string user;
  std::string domain;
  std::string preferred_ip;
  std::string preferred_ipv6;
  std::string portal_cookie;  // portal-userauthcookie: "" -> "empty"
};
std::string login_jnlp(const LoginResult& r);

// A further step of a login (OTP, a PAM prompt, a RADIUS challenge): the client shows
// `message`, asks for one value, and posts it back as passwd with inputStr = `input_str`.
std::string challenge(const std::string& message, const std::string& input_str);

// <response status="error"><error>text</error></response>. Some texts make the client stop
// for good: "Invalid authentication cookie", "Valid client certificate is required".
std::string error_reply(const std::string& text);
std::string success_reply();
std::string hip_check_reply(bool needed);
std::string logout_reply(const GpCookie& c);

// getconfig.esp: the tunnel's addresses and routes, and the ESP SA for each direction.
struct EspOffer {
  uint16_t port = 0;
  const EspKeyMaterial* c2s = nullptr;  // what the client encrypts with (our inbound SA)
  const EspKeyMaterial* s2c = nullptr;
};
std::string getconfig_reply(const ipc::TunnelParams& p, const std::string& gw_address, uint32_t timeout,
                            const EspOffer* esp);

}  // namespace sslvpn::gp
