#include "common/config_values.hpp"

#include <charconv>
#include <sstream>

#include "common/config.hpp"
#include "common/header_lines.hpp"
#include "common/text.hpp"

namespace sslvpn::cfgval {
namespace {

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

}  // namespace

void fail(std::string_view origin, int line, const std::string& what) {
  std::ostringstream os;
  os << origin << ":" << line << ": " << what;
  throw ConfigError(os.str());
}

bool parse_bool(const Where& w, std::string_view v) {
  std::string s = lowercase(v);
  if (s == "true" || s == "yes" || s == "1" || s == "on") return true;
  if (s == "false" || s == "no" || s == "0" || s == "off") return false;
  fail(w.origin, w.line, "'" + std::string(w.key) + "' expects true or false, got '" + std::string(v) + "'");
}

uint64_t parse_uint64(const Where& w, std::string_view v) {
  uint64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty())
    fail(w.origin, w.line, "'" + std::string(w.key) + "' expects a number, got '" + std::string(v) + "'");
  return out;
}

uint32_t parse_uint(const Where& w, std::string_view v, uint32_t max) {
  uint64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out > max)
    fail(w.origin, w.line,
         "'" + std::string(w.key) + "' expects a number up to " + std::to_string(max) + ", got '" +
             std::string(v) + "'");
  return static_cast<uint32_t>(out);
}

NetPriority parse_net_priority(const Where& w, std::string_view v) {
  if (v.starts_with("0x") || v.starts_with("0X")) {
    uint32_t tos = 0;
    auto [p, ec] = std::from_chars(v.data() + 2, v.data() + v.size(), tos, 16);
    if (v.size() == 2 || ec != std::errc() || p != v.data() + v.size() || tos > 0xff)
      fail(w.origin, w.line,
           "'" + std::string(w.key) + "' expects a TOS byte (0x00-0xff) or a priority, got '" +
               std::string(v) + "'");
    return {true, tos};
  }
  return {false, parse_uint(w, v, 0x7fffffff)};
}

uint32_t parse_seconds(const Where& w, std::string_view v) {
  if (v == "none" || v == "unlimited") return 0;
  return parse_uint(w, v, 86400 * 365);
}

IpAddr parse_addr(const Where& w, std::string_view v) {
  auto a = parse_ip(v);
  if (!a)
    fail(w.origin, w.line,
         "'" + std::string(w.key) + "' expects an IP address, got '" + std::string(v) + "'");
  return *a;
}

IpNet parse_net(const Where& w, std::string_view v) {
  auto n = parse_ip_net(v);
  if (!n)
    fail(w.origin, w.line,
         "'" + std::string(w.key) + "' expects a network (a.b.c.d/nn, a.b.c.d/m.m.m.m or x::/nn), got '" +
             std::string(v) + "'");
  return *n;
}

IpNet ipv4_pool(std::string_view origin, int line, std::string_view network, std::string_view netmask) {
  std::string spec(network);
  if (spec.find('/') == std::string::npos) {
    if (netmask.empty())
      fail(origin, line, "'ipv4-network' needs a prefix (a.b.c.d/nn) or an 'ipv4-netmask'");
    spec += "/" + std::string(netmask.substr(netmask.front() == '/' ? 1 : 0));
  }
  auto n = parse_ip_net(spec);
  if (!n || !n->addr.is_v4())
    fail(origin, line, "'ipv4-network' is not a valid IPv4 network: '" + spec + "'");
  if (n->prefix > 30)
    fail(origin, line, "'ipv4-network' is too small: it needs room for the server and clients");
  return *n;
}

IpNet ipv6_pool(std::string_view origin, int line, std::string_view network, std::optional<uint8_t> prefix) {
  std::string spec(network);
  if (spec.find('/') == std::string::npos && !prefix)
    fail(origin, line, "'ipv6-network' needs a prefix (x::/nn) or an 'ipv6-prefix'");
  if (prefix) spec = spec.substr(0, spec.find('/')) + "/" + std::to_string(*prefix);
  auto n = parse_ip_net(spec);
  if (!n || n->addr.is_v4()) fail(origin, line, "'ipv6-network' needs an IPv6 network, got '" + spec + "'");
  return *n;
}

namespace {

// ocserv's reader (inih, built with '#' as its inline comment prefix): a '#' after a blank
// starts a comment. Unlike inih, not inside "...": a quoted banner or PIN keeps its " #".
std::string_view strip_inline_comment(std::string_view line) {
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    if (!quoted && i > 0 && line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t'))
      return trim(line.substr(0, i));
  }
  return line;
}

}  // namespace

int for_each_entry(std::string_view text, std::string_view origin,
                   const std::function<void(int, std::string_view, std::string_view)>& fn,
                   const std::function<void(int, std::string_view)>& on_section) {
  int line_no = 0;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    line = strip_inline_comment(line);
    if (line.front() == '[') {
      if (!on_section || line.back() != ']')
        fail(origin, line_no, "a section such as '" + std::string(line) + "' is not allowed here");
      on_section(line_no, line.substr(1, line.size() - 2));
      continue;
    }
    auto eq = line.find_first_of("=:");  // inih takes either: "key = value" or "key: value"
    if (eq == std::string_view::npos)
      fail(origin, line_no, "expected 'key = value', got '" + std::string(line) + "'");
    std::string_view key = trim(line.substr(0, eq));
    if (key.empty()) fail(origin, line_no, "missing key before '='");
    fn(line_no, key, unquote(trim(line.substr(eq + 1))));
  }
  return line_no;
}

}  // namespace sslvpn::cfgval
