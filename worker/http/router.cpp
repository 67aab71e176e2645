#include "worker/http/router.hpp"

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

}  // namespace sslvpn::http
