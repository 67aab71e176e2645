#include "common/port_filter.hpp"

#include <array>

#include "common/text.hpp"

namespace sslvpn {
namespace {

struct Proto {
  std::string_view name;
  uint8_t number;
};
constexpr std::array<Proto, 6> kProtos = {
    {{"tcp", 6}, {"udp", 17}, {"sctp", 132}, {"icmp", 1}, {"icmpv6", 58}, {"esp", 50}}};
constexpr size_t kMaxRules = 256;

std::string_view name_of(uint8_t number) {
  for (const auto& p : kProtos)
    if (p.number == number) return p.name;
  return "?";
}

// One "proto(port)" or "proto()".
std::optional<PortRule> parse_rule(std::string_view item, std::string* error) {
  size_t open = item.find('(');
  if (open == std::string_view::npos || item.back() != ')') {
    *error = "'" + std::string(item) + "' is not PROTOCOL(PORT)";
    return std::nullopt;
  }
  std::string_view name = trim(item.substr(0, open));
  std::string_view port = trim(item.substr(open + 1, item.size() - open - 2));
  PortRule r;
  bool known = false;
  for (const auto& p : kProtos)
    if (iequals(name, p.name)) r.protocol = p.number, known = true;
  if (!known) {
    *error = "unknown protocol '" + std::string(name) + "' (tcp, udp, sctp, icmp, icmpv6, esp)";
    return std::nullopt;
  }
  if (port.empty()) return r;
  if (r.protocol != 6 && r.protocol != 17 && r.protocol != 132) {
    *error = "'" + std::string(name) + "' has no ports: write " + std::string(name) + "()";
    return std::nullopt;
  }
  uint32_t v = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || v > 65535) {
      *error = "bad port '" + std::string(port) + "'";
      return std::nullopt;
    }
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) {
    *error = "bad port '" + std::string(port) + "'";
    return std::nullopt;
  }
  r.port = static_cast<uint16_t>(v);
  return r;
}

}  // namespace

std::optional<PortFilter> parse_port_filter(std::string_view text, std::string* error) {
  PortFilter f;
  text = trim(text);
  if (!text.empty() && text.front() == '!') {
    text = trim(text.substr(1));
    if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
      *error = "'!' must be followed by a bracketed list: !(tcp(22), udp(111))";
      return std::nullopt;
    }
    f.deny = true;
    text = trim(text.substr(1, text.size() - 2));
  }
  while (!text.empty()) {  // bounded: each round consumes an item
    // An item ends at the comma after its closing bracket.
    size_t close = text.find(')');
    if (close == std::string_view::npos) {
      *error = "'" + std::string(text) + "' is not PROTOCOL(PORT)";
      return std::nullopt;
    }
    auto rule = parse_rule(trim(text.substr(0, close + 1)), error);
    if (!rule) return std::nullopt;
    if (f.rules.size() == kMaxRules) {
      *error = "more than 256 rules";
      return std::nullopt;
    }
    f.rules.push_back(*rule);
    text = trim(text.substr(close + 1));
    if (!text.empty()) {
      if (text.front() != ',') {
        *error = "rules must be separated by commas";
        return std::nullopt;
      }
      text = trim(text.substr(1));
      if (text.empty()) {
        *error = "a comma at the end";
        return std::nullopt;
      }
    }
  }
  if (f.rules.empty()) {
    *error = "no rules";
    return std::nullopt;
  }
  return f;
}

std::string port_filter_text(const PortFilter& f) {
  std::string out;
  for (const auto& r : f.rules) {
    if (!out.empty()) out += ", ";
    out.append(name_of(r.protocol)).append("(").append(r.port ? std::to_string(r.port) : "").append(")");
  }
  return f.deny ? "!(" + out + ")" : out;
}

std::string port_filter_occtl(const PortFilter& f) {
  std::string out;
  for (const auto& r : f.rules) {
    if (!out.empty()) out += ", ";
    out.append(f.deny ? "!" : "").append(name_of(r.protocol)).append("(");
    out.append(r.port ? std::to_string(r.port) : "").append(")");
  }
  return out;
}

std::string port_filter_env(const PortFilter& f) {
  std::string out;
  for (const auto& r : f.rules) {
    if (!out.empty()) out += " ";
    out.append(name_of(r.protocol)).append(" ").append(r.port ? std::to_string(r.port) : "all");
  }
  return out;
}

}  // namespace sslvpn
