#include "tools/loadgen/http_reply.hpp"

#include <charconv>
#include <vector>

#include "common/text.hpp"

namespace sslvpn::loadgen {
namespace {

constexpr size_t kMaxHead = 16 * 1024;
constexpr size_t kMaxBody = 256 * 1024;

std::string cookie_of(std::string_view set_cookie, std::string_view name) {
  std::string prefix = std::string(name) + "=";
  if (set_cookie.rfind(prefix, 0) != 0) return {};
  std::string_view v = set_cookie.substr(prefix.size());
  return std::string(v.substr(0, v.find(';')));
}

}  // namespace

Result<std::optional<HttpReply>> parse_reply(std::string_view in, bool head_only, size_t* consumed) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (in.size() > kMaxHead) return Errc::Limit;
    return std::optional<HttpReply>();
  }
  std::string_view head = in.substr(0, end);
  HttpReply r;
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return Errc::Malformed;
  auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, r.status);
  if (ec != std::errc()) return Errc::Malformed;
  size_t content_length = 0;
  std::string_view rest = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t nl = rest.find("\r\n");
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      auto [q, e2] = std::from_chars(value.data(), value.data() + value.size(), content_length);
      if (e2 != std::errc() || content_length > kMaxBody) return Errc::Limit;
    } else if (iequals(name, "set-cookie")) {
      if (std::string c = cookie_of(value, "webvpn"); !c.empty()) r.webvpn_cookie = c;
      if (std::string c = cookie_of(value, "webvpncontext"); !c.empty()) r.context_cookie = c;
    } else if (iequals(name, "x-cstp-address")) {
      if (r.cstp_address.empty() && value.find(':') == std::string_view::npos)
        r.cstp_address = std::string(value);
    } else if (iequals(name, "connection")) {
      r.close = value.find("close") != std::string_view::npos;
    }
  }
  size_t total = end + 4 + (head_only ? 0 : content_length);
  if (in.size() < total) return std::optional<HttpReply>();
  if (!head_only) r.body = std::string(in.substr(end + 4, content_length));
  *consumed = total;
  return std::optional<HttpReply>(std::move(r));
}

std::vector<std::string> form_inputs(std::string_view body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = body.find("<input", pos)) != std::string_view::npos) {
    size_t close = body.find('>', pos);
    std::string_view tag =
        body.substr(pos, close == std::string_view::npos ? std::string_view::npos : close - pos);
    size_t n = tag.find("name=\"");
    if (n != std::string_view::npos) {
      size_t q = tag.find('"', n + 6);
      if (q != std::string_view::npos) out.emplace_back(tag.substr(n + 6, q - n - 6));
    }
    pos = close == std::string_view::npos ? body.size() : close;
  }
  return out;
}

bool auth_complete(std::string_view body) {
  return body.find("type=\"complete\"") != std::string_view::npos;
}

}  // namespace sslvpn::loadgen
