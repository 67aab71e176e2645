// Builds HTTP/1.1 responses; adds Content-Length and the hardening headers ocserv sends.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sslvpn::http {

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // adds "Connection: close"; the caller closes after sending
};

const char* reason_phrase(int status) noexcept;
// `site`: the server's own header lines (ocserv's included-http-headers, "Name: value"), sent
// instead of the built-in hardening headers; "Cache-Control: no-store" is added unless one of
// them says no-store already. Empty: the built-in ones.
std::string serialize(const Response& r, std::span<const std::string> site = {});
// A small plain-text error response that closes the connection.
Response error_response(int status);

}  // namespace sslvpn::http
