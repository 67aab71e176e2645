#include "worker/http/router.hpp"

#include <algorithm>

namespace sslvpn::http {
namespace {

constexpr Route kAnyConnect[] = {
    {"GET", "/", false, Engine::AnyConnect},
    {"POST", "/", false, Engine::AnyConnect},
    {"GET", "/auth", false, Engine::AnyConnect},
    {"POST", "/auth", false, Engine::AnyConnect},
    {"GET", "/VPN", false, Engine::AnyConnect},
    {"POST", "/VPN", false, Engine::AnyConnect},
    {"CONNECT", "/CSCOSSLC/tunnel", false, Engine::AnyConnect},
    {"GET", "/profiles/", true, Engine::AnyConnect},  // user-profile (any name, as ocserv's)
};

constexpr Route kGlobalProtect[] = {
    {"POST", "/global-protect/prelogin.esp", false, Engine::GlobalProtect},
    {"GET", "/global-protect/prelogin.esp", false, Engine::GlobalProtect},
    {"POST", "/global-protect/getconfig.esp", false, Engine::GlobalProtect},
    {"POST", "/ssl-vpn/prelogin.esp", false, Engine::GlobalProtect},
    {"GET", "/ssl-vpn/prelogin.esp", false, Engine::GlobalProtect},
    {"POST", "/ssl-vpn/login.esp", false, Engine::GlobalProtect},
    {"POST", "/ssl-vpn/getconfig.esp", false, Engine::GlobalProtect},
    {"POST", "/ssl-vpn/hipreportcheck.esp", false, Engine::GlobalProtect},
    {"POST", "/ssl-vpn/hipreport.esp", false, Engine::GlobalProtect},
    {"POST", "/ssl-vpn/logout.esp", false, Engine::GlobalProtect},
    {"GET", "/ssl-tunnel-connect.sslvpn", false, Engine::GlobalProtect},
};

bool path_matches(const Route& r, std::string_view method, std::string_view target) {
  if (r.prefix) return target.substr(0, r.path.size()) == r.path;
  if (target == r.path) return true;
  if (target.size() <= r.path.size() || target.substr(0, r.path.size()) != r.path) return false;
  char next = target[r.path.size()];
  // POST answers come back to the same path, perhaps with a query; GET "/?x" and "//x" too.
  return next == '?' || (method == "GET" && next == '/');
}

}  // namespace

Routed route_request(std::span<const Route> routes, std::string_view method, std::string_view target) {
  Routed out;
  for (const auto& r : routes) {
    if (!path_matches(r, method, target)) continue;
    if (method == r.method) return {r.engine, 200};
    out.status = 405;
  }
  return out;
}

std::span<const Route> anyconnect_routes() {
  return kAnyConnect;
}

std::span<const Route> globalprotect_routes() {
  return kGlobalProtect;
}

Routed route_front(std::string_view method, std::string_view target, bool globalprotect) {
  Routed ac = route_request(anyconnect_routes(), method, target);
  if (ac.engine != Engine::None || !globalprotect) return ac;
  Routed gp = route_request(globalprotect_routes(), method, target);
  if (gp.engine != Engine::None) return gp;
  return {Engine::None, std::max(ac.status, gp.status)};
}

}  // namespace sslvpn::http
