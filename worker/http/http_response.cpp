#include "worker/http/http_response.hpp"

#include "common/header_lines.hpp"
#include "common/text.hpp"

namespace sslvpn::http {

const char* reason_phrase(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";  // GlobalProtect's tunnel GET refused
    case 503:
      return "Service Unavailable";
    case 512:
      return "Custom error";  // GlobalProtect: wrong user name or password, ask again
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string serialize(const Response& r, std::span<const std::string> site) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  if (site.empty()) {
    out += "X-Frame-Options: deny\r\n";
    out += "X-Content-Type-Options: nosniff\r\n";
    out += "Content-Security-Policy: default-src 'none'\r\n";
    out += "Strict-Transport-Security: max-age=31536000 ; includeSubDomains\r\n";
  }
  bool no_store = false;
  for (const auto& line : site) {  // checked when the configuration was read: one header each
    out += line + "\r\n";
    no_store = no_store ||
               (header_named(line, "Cache-Control") && lowercase(line).find("no-store") != std::string::npos);
  }
  // Answers carry cookies and login forms: never stored, whatever else the site's lines say
  // (several Cache-Control lines add up, and no-store wins).
  if (!no_store) out += "Cache-Control: no-store\r\n";
  if (r.close) out += "Connection: close\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n";
  out += r.body;
  return out;
}

Response error_response(int status) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain");
  r.body = std::string(reason_phrase(status)) + "\n";
  r.close = true;
  return r;
}

}  // namespace sslvpn::http
