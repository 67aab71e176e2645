#include "worker/http/camouflage.hpp"

namespace sslvpn::http {

std::optional<std::string> camouflage_pass(std::string_view target, std::string_view secret) {
  auto q = target.find('?');
  if (secret.empty() || q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  // Constant time over the secret's length: a timing probe learns nothing of its bytes.
  unsigned char diff = query.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < secret.size(); ++i)
    diff |= static_cast<unsigned char>(secret[i] ^ (i < query.size() ? query[i] : 0));
  if (diff != 0) return std::nullopt;
  return std::string(target.substr(0, q));
}

Response camouflage_refusal(std::string_view realm) {
  Response r;
  r.close = true;
  r.headers.emplace_back("Content-Type", "text/html");
  if (realm.empty()) {
    r.status = 404;
    r.body = "<html><body><h1>404 Not Found</h1></body></html>\n";
    return r;
  }
  r.status = 401;
  std::string name;
  for (char c : realm)  // a header value: no quotes or line breaks from the configuration
    if (c != '"' && c != '\\' && c != '\r' && c != '\n') name += c;
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"" + name + "\"");
  r.body = "<html><body><h1>401 Unauthorized</h1></body></html>\n";
  return r;
}

Response camouflage_405() {
  Response r;
  r.status = 405;
  r.close = true;
  r.headers.emplace_back("Content-Type", "text/html");
  r.body = "<html><body><h1>405 Method Not Allowed</h1></body></html>\n";
  return r;
}

}  // namespace sslvpn::http
