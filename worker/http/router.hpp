// The HTTPS front: which protocol engine serves a request, by method and path. One TLS port
// serves every HTTPS protocol (AnyConnect today, GlobalProtect next): each protocol declares its
// routes, the connection's first request picks the engine, and anything no protocol declared
// gets 404, as ocserv answers unknown paths. A pure function over the request line.
#pragma once

#include <span>
#include <string_view>

namespace sslvpn::http {

// The engines behind the front.
enum class Engine : uint8_t {
  None,           // no route: 404
  AnyConnect,     // worker/anyconnect
  GlobalProtect,  // worker/gp
};

struct Route {
  std::string_view method;
  std::string_view path;
  bool prefix;  // the path is a prefix ("/dir/") rather than the whole path
  Engine engine;
};

struct Routed {
  Engine engine = Engine::None;
  int status = 404;  // when engine is None: 404 (no such path) or 405 (the path, not this method)
};

// A target matches an exact route when it is the path itself or the path followed by a query
// ("?"); for GET also by a sub-path ("/" then more), as ocserv's known_urls do. A prefix route
// matches any target that starts with its path.
Routed route_request(std::span<const Route> routes, std::string_view method, std::string_view target);

// AnyConnect's routes (ocserv's known_urls: "/", "/auth" and "/VPN" for the login, GET and
// POST; CONNECT for the tunnel; GET "/profiles/..." for the XML profile).
std::span<const Route> anyconnect_routes();

// GlobalProtect's routes: the portal (/global-protect/*.esp), the gateway (/ssl-vpn/*.esp) and
// the tunnel GET. Prelogin also answers GET, as PAN's does.
std::span<const Route> globalprotect_routes();

// The first request of a connection against every protocol that is on.
Routed route_front(std::string_view method, std::string_view target, bool globalprotect);

}  // namespace sslvpn::http
