#include "main/route_cmds.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "common/ip_addr.hpp"

namespace sslvpn::mainproc {

std::string expand_route_cmd(std::string_view tmpl, std::string_view route_net_mask,
                             std::string_view route_cidr, std::string_view device) {
  // Longest first: %{RI} before %{R}.
  const std::array<std::pair<std::string_view, std::string_view>, 5> tokens{{
      {"%{RI}", route_cidr},
      {"%{R}", route_net_mask},
      {"%R", route_net_mask},
      {"%{D}", device},
      {"%D", device},
  }};
  std::string out;
  out.reserve(tmpl.size() + 64);
  for (size_t i = 0; i < tmpl.size();) {
    bool matched = false;
    if (tmpl[i] == '%') {
      for (const auto& [token, value] : tokens) {
        if (tmpl.substr(i, token.size()) == token) {
          out += value;
          i += token.size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) out += tmpl[i++];
  }
  return out;
}

std::vector<std::string> take_routes(std::vector<std::string>& held, const std::vector<std::string>& wanted) {
  std::vector<std::string> taken;
  std::erase_if(held, [&](const std::string& r) {
    bool want = std::find(wanted.begin(), wanted.end(), r) != wanted.end();
    if (want) taken.push_back(r);
    return want;
  });
  return taken;
}

std::vector<std::string> iroute_commands(std::string_view tmpl, const std::vector<std::string>& iroutes,
                                         std::string_view device) {
  std::vector<std::string> cmds;
  for (const auto& r : iroutes) {
    auto net = parse_ip_net(r);
    if (!net) continue;
    cmds.push_back(expand_route_cmd(tmpl, net->split_form(), net->to_string(), device));
  }
  return cmds;
}

}  // namespace sslvpn::mainproc
