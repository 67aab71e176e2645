#include "worker/http/http_request.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sslvpn::http {
namespace {

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool valid_field_value(std::string_view v) {
  for (unsigned char c : v)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

Result<void> parse_request_line(std::string_view line, const Limits& lim, Request& req) {
  if (line.size() > lim.max_request_line) return Errc::Limit;
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Errc::Malformed;
  auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return Errc::Malformed;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || !valid_field_value(target)) return Errc::Malformed;
  if (version == "HTTP/1.1")
    req.minor_version = 1;
  else if (version == "HTTP/1.0")
    req.minor_version = 0;
  else if (version.substr(0, 5) == "HTTP/")
    return Errc::State;
  else
    return Errc::Malformed;
  req.method = std::string(method);
  req.target = std::string(target);
  return {};
}

}  // namespace

const std::string* Request::header(std::string_view lower_name) const {
  for (const auto& h : headers)
    if (h.name == lower_name) return &h.value;
  return nullptr;
}

bool Request::keep_alive() const {
  const std::string* c = header("connection");
  std::string v = c ? lower(*c) : std::string();
  if (minor_version == 0) return v.find("keep-alive") != std::string::npos;
  return v.find("close") == std::string::npos;
}

Result<std::optional<Parsed>> parse_request(std::span<const uint8_t> in, const Limits& lim) {
  std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  size_t head_end = text.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    // A bare LF can never become a valid head: answer now instead of waiting for more.
    for (size_t i = text.find('\n'); i != std::string_view::npos; i = text.find('\n', i + 1))
      if (i == 0 || text[i - 1] != '\r') return Errc::Malformed;
    // No complete head yet: is what we have already too long?
    size_t first_crlf = text.find("\r\n");
    if (first_crlf == std::string_view::npos && text.size() > lim.max_request_line) return Errc::Limit;
    if (text.size() > lim.max_header_bytes) return Errc::Limit;
    return std::optional<Parsed>{};
  }
  if (head_end + 4 > lim.max_header_bytes) return Errc::Limit;

  Parsed p;
  std::string_view head = text.substr(0, head_end);
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos)
    return Errc::Malformed;
  if (auto r = parse_request_line(line, lim, p.request); !r) return r.error();
  head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);

  std::optional<size_t> content_length;
  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
    if (line.find_first_of("\r\n") != std::string_view::npos) return Errc::Malformed;         // bare CR or LF
    if (line.empty() || line.front() == ' ' || line.front() == '\t') return Errc::Malformed;  // obs-fold
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return Errc::Malformed;
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_token(name) || !valid_field_value(value)) return Errc::Malformed;
    if (p.request.headers.size() >= lim.max_headers) return Errc::Limit;
    std::string lname = lower(name);
    if (lname == "transfer-encoding") return Errc::UnknownType;
    if (lname == "content-length") {
      if (content_length) return Errc::Malformed;  // duplicates are a smuggling vector
      size_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || ptr != value.data() + value.size() || value.empty()) return Errc::Malformed;
      if (n > lim.max_body) return Errc::BadLength;
      content_length = n;
    }
    p.request.headers.push_back({std::move(lname), std::string(value)});
  }

  size_t body_len = content_length.value_or(0);
  size_t total = head_end + 4 + body_len;
  if (text.size() < total) return std::optional<Parsed>{};
  p.request.body = std::string(text.substr(head_end + 4, body_len));
  p.consumed = total;
  return std::optional<Parsed>{std::move(p)};
}

int status_for_error(Errc e) noexcept {
  switch (e) {
    case Errc::Limit:
      return 431;
    case Errc::BadLength:
      return 413;
    case Errc::UnknownType:
      return 501;
    case Errc::State:
      return 505;
    default:
      return 400;
  }
}

}  // namespace sslvpn::http
