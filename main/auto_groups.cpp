#include "main/auto_groups.hpp"

#include <grp.h>

#include <algorithm>
#include <set>

#include "common/passwd_file.hpp"
#include "common/text.hpp"

namespace sslvpn::mainproc {
namespace {

constexpr size_t kMaxGroups = 4096;  // a login form stays usable; more is an administration mistake

std::vector<std::string> system_groups(uint32_t gid_min) {
  std::vector<std::string> out;
  ::setgrent();
  for (size_t i = 0; i < 1u << 20; ++i) {  // bounded
    const group* g = ::getgrent();
    if (g == nullptr) break;
    if (g->gr_gid >= gid_min && g->gr_name != nullptr && valid_group_name(g->gr_name))
      out.emplace_back(g->gr_name);
  }
  ::endgrent();
  return out;
}

}  // namespace

std::vector<std::string> passwd_file_groups(std::string_view text) {
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  while (!text.empty()) {  // bounded: each round removes a line
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    auto e = parse_passwd_line(line);
    if (!e.ok()) continue;
    for (const auto& g : e->groups)
      if (g.size() > 1 && seen.insert(g).second) out.push_back(g);
  }
  return out;
}

void add_auto_select_groups(Config& c, Logger& log) {
  if (!c.auto_select_group) return;
  const AuthMethod* m = nullptr;
  for (const auto& chain : c.auth_chains)
    if (chain.password && !m) m = &*chain.password;
  std::vector<std::string> groups;
  if (m != nullptr && m->name == "plain" && m->params.count("passwd")) {
    auto text = read_file(m->params.at("passwd"));
    if (!text)
      log.warn("auto-select-group: cannot read '", m->params.at("passwd"), "'; no groups added");
    else
      groups = passwd_file_groups(*text);
  } else if (m != nullptr && m->name == "pam") {
    uint32_t gid_min = 0;
    if (m->params.count("gid-min")) gid_min = static_cast<uint32_t>(std::stoul(m->params.at("gid-min")));
    groups = system_groups(gid_min);
  } else {
    log.warn("auto-select-group: the login method has no list of groups (plain and pam do); ignored");
    return;
  }
  size_t added = 0;
  for (const auto& g : groups) {
    if (c.select_groups.size() >= kMaxGroups) {
      log.warn("auto-select-group: more than ", kMaxGroups, " groups; the rest are left out");
      break;
    }
    bool listed = std::any_of(c.select_groups.begin(), c.select_groups.end(),
                              [&](const SelectGroup& s) { return s.name == g; });
    if (!listed) c.select_groups.push_back({g, g}), ++added;
  }
  log.info("auto-select-group: ", added, " groups from the ", m->name, " method");
}

}  // namespace sslvpn::mainproc
