// ocserv's camouflage: a server that looks like a plain web server to whoever does not know the
// secret. A connection's first request must carry the secret as its whole query ("/?secret");
// one that does not gets what a web server answers (404, or 401 with a Basic realm) and nothing
// that names a VPN. CONNECT with a valid cookie (the tunnel connection, which carries no query)
// goes ahead; any refusal it gets is a 405. Pure functions over the request line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "worker/http/http_response.hpp"

namespace sslvpn::http {

struct Camouflage {
  std::string secret;  // empty: off
  std::string realm;   // empty: refusals are 404
};

// The target without "?secret" when its query is exactly the secret (compared in constant
// time); nullopt otherwise.
std::optional<std::string> camouflage_pass(std::string_view target, std::string_view secret);

// What a request without the secret gets: 404, or 401 with `WWW-Authenticate: Basic realm`.
Response camouflage_refusal(std::string_view realm);

// A refusal of a request that went ahead without the secret (CONNECT): 405, nothing else.
Response camouflage_405();

}  // namespace sslvpn::http
