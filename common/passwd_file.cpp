#include "common/passwd_file.hpp"

#include "common/text.hpp"

namespace sslvpn {
namespace {

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    if (!f(text.substr(0, nl))) return;
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
}

}  // namespace

bool valid_user_name(std::string_view n) noexcept {
  return !n.empty() && n.size() <= 128 && n.find(':') == std::string_view::npos && !has_control(n);
}

bool valid_group_name(std::string_view n) noexcept {
  return !n.empty() && n.size() <= 128 && n.find_first_of(":,") == std::string_view::npos &&
         !has_control(n) && trim(n) == n;
}

Result<PasswdEntry> parse_passwd_line(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.front() == '#') return Errc::NotFound;
  auto c1 = line.find(':');
  if (c1 == std::string_view::npos) return Errc::Malformed;
  auto c2 = line.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return Errc::Malformed;
  PasswdEntry e;
  e.user = std::string(line.substr(0, c1));
  if (!valid_user_name(e.user)) return Errc::Malformed;
  std::string_view groups = line.substr(c1 + 1, c2 - c1 - 1);
  while (!groups.empty()) {
    auto comma = groups.find(',');
    std::string_view g = trim(groups.substr(0, comma));
    groups = comma == std::string_view::npos ? std::string_view{} : groups.substr(comma + 1);
    if (g.empty() || g == "*") continue;
    e.groups.emplace_back(g);
  }
  std::string_view hash = line.substr(c2 + 1);
  if (!hash.empty() && hash.front() == '!') {
    e.locked = true;
    hash.remove_prefix(1);
  }
  e.hash = std::string(hash);
  return e;
}

std::optional<PasswdEntry> find_passwd_entry(std::string_view text, std::string_view user) {
  std::optional<PasswdEntry> found;
  for_each_line(text, [&](std::string_view line) {
    auto e = parse_passwd_line(line);
    if (e.ok() && e->user == user) {
      found = std::move(e).value();
      return false;
    }
    return true;
  });
  return found;
}

std::string first_hash_setting(std::string_view text) {
  std::string out;
  for_each_line(text, [&](std::string_view line) {
    auto e = parse_passwd_line(line);
    if (!e.ok() || e->hash.size() < 4 || e->hash[0] != '$') return true;
    // keep everything up to the last '$' (id, params and salt)
    auto last = e->hash.rfind('$');
    if (last == 0) return true;
    out = e->hash.substr(0, last + 1);
    return false;
  });
  return out;
}

std::string format_passwd_line(const PasswdEntry& e) {
  std::string out = e.user + ":";
  if (e.groups.empty()) {
    out += "*";
  } else {
    for (size_t i = 0; i < e.groups.size(); ++i) {
      if (i) out += ",";
      out += e.groups[i];
    }
  }
  out += ":";
  if (e.locked) out += "!";
  out += e.hash;
  return out;
}

}  // namespace sslvpn
