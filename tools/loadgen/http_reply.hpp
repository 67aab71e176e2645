// The load generator's view of an HTTP response from an AnyConnect server: status, the few
// headers it needs, and the body (Content-Length only; servers answer logins that way).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::loadgen {

struct HttpReply {
  int status = 0;
  std::string webvpn_cookie;   // Set-Cookie: webvpn=... (not the expiring "webvpn=;")
  std::string context_cookie;  // Set-Cookie: webvpncontext=...
  std::string cstp_address;    // X-CSTP-Address (CONNECT)
  bool close = false;          // Connection: close
  std::string body;
};

// Parses the response at the start of `in`. nullopt: not complete yet; `consumed` gets its
// size. For a CONNECT reply (no body) pass `head_only`.
Result<std::optional<HttpReply>> parse_reply(std::string_view in, bool head_only, size_t* consumed);

// Input names of the form in an auth-request body, in order ("username", "password", ...).
// Empty when the body is a "complete" reply.
std::vector<std::string> form_inputs(std::string_view body);
bool auth_complete(std::string_view body);

}  // namespace sslvpn::loadgen
