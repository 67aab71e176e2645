// Builds HTTP/1.1 responses; adds Content-Length and the hardening headers ocserv sends.
#pragma once

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
std::string serialize(const Response& r);
// A small plain-text error response that closes the connection.
Response error_response(int status);

}  // namespace sslvpn::http
