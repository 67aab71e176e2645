#include "main/connect_output.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace sslvpn::mainproc {
namespace {

// route NET [MASK [GATEWAY [METRIC]]]: the mask "default" (or none) is 255.255.255.255.
std::optional<IpNet> v4_route(const std::vector<std::string>& w) {
  if (w.size() < 2) return std::nullopt;
  std::string mask = w.size() > 2 && w[2] != "default" ? w[2] : "255.255.255.255";
  auto net = parse_ip_net(w[1] + "/" + mask);
  if (!net || !net->addr.is_v4()) return std::nullopt;
  return net;
}

// A name a client may take as its DNS domain: letters, digits, '-', '_' and '.' (nothing that
// would end an option in a PUSH_REPLY, or a header line).
bool domain_name(const std::string& d) {
  if (d.empty() || d.size() > 253) return false;
  return std::all_of(d.begin(), d.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::string join(const std::vector<std::string>& w) {
  std::string s;
  for (const auto& x : w) s += (s.empty() ? "" : " ") + x;
  return s;
}

struct Parser {
  ConnectOutput out;
  std::string error;

  bool room(size_t n, const char* what) {
    if (n < kMaxConnectEntries) return true;
    error = std::string("more than ") + std::to_string(kMaxConnectEntries) + " " + what;
    return false;
  }
  void ignore(const std::vector<std::string>& w, bool pushed) {
    if (out.ignored.size() < kMaxConnectEntries)
      out.ignored.push_back((pushed ? "push \"" : "") + join(w) + (pushed ? "\"" : ""));
  }
  // A route's gateway: through the tunnel (none, vpn_gateway, or for IPv6 the default), around
  // it (net_gateway), or another address (not applied).
  enum class Via { Tunnel, Around, Other };
  static Via via(const std::vector<std::string>& w, size_t at) {
    if (w.size() <= at || w[at] == "vpn_gateway") return Via::Tunnel;
    return w[at] == "net_gateway" ? Via::Around : Via::Other;
  }
  bool add_route(const std::vector<std::string>& w, std::optional<IpNet> net, Via v) {
    if (!net || v == Via::Other) return ignore(w, true), true;
    if (net->prefix == 0 && v == Via::Tunnel) {  // 0.0.0.0 0.0.0.0 or ::/0: all of a family
      (net->addr.is_v4() ? out.redirect4 : out.redirect6) = true;
      return true;
    }
    auto& list = v == Via::Around ? out.no_routes : out.routes;
    if (!room(list.size(), "routes")) return false;
    list.push_back(*net);
    return true;
  }
  // The words inside push "...". False: a limit passed.
  bool pushed(const std::vector<std::string>& w) {
    if (w.empty()) return true;
    const std::string& opt = w[0];
    if (opt == "route") return add_route(w, v4_route(w), via(w, 3));
    if (opt == "route-ipv6") {
      std::optional<IpNet> net;
      if (w.size() > 1) net = parse_ip_net(w[1].find('/') == std::string::npos ? w[1] + "/128" : w[1]);
      if (net && net->addr.is_v4()) net.reset();
      return add_route(w, net, via(w, 2));
    }
    if (opt == "redirect-gateway") {  // IPv4 unless !ipv4; IPv6 with ipv6 (openvpn's flags)
      bool v4 = std::find(w.begin() + 1, w.end(), "!ipv4") == w.end();
      bool v6 = std::find(w.begin() + 1, w.end(), "ipv6") != w.end();
      out.redirect4 = out.redirect4 || v4;
      out.redirect6 = out.redirect6 || v6;
      return true;
    }
    if (opt == "dhcp-option" && w.size() == 3 && (w[1] == "DNS" || w[1] == "DNS6")) {
      auto a = parse_ip(w[2]);
      if (!a) return ignore(w, true), true;
      if (!room(out.dns.size(), "DNS servers")) return false;
      if (std::find(out.dns.begin(), out.dns.end(), *a) == out.dns.end()) out.dns.push_back(*a);
      return true;
    }
    if (opt == "dhcp-option" && w.size() == 3 && w[1] == "DOMAIN" && domain_name(w[2])) {
      out.domain = w[2];
      return true;
    }
    if (opt == "dhcp-option" && w.size() == 3 && w[1] == "DOMAIN-SEARCH" && domain_name(w[2])) {
      if (!room(out.split_dns.size(), "search domains")) return false;
      if (std::find(out.split_dns.begin(), out.split_dns.end(), w[2]) == out.split_dns.end())
        out.split_dns.push_back(w[2]);
      return true;
    }
    if (opt == "dhcp-option" && w.size() == 3 && w[1] == "WINS") {
      auto a = parse_ip(w[2]);
      if (!a || !a->is_v4()) return ignore(w, true), true;
      if (!room(out.nbns.size(), "WINS servers")) return false;
      if (std::find(out.nbns.begin(), out.nbns.end(), *a) == out.nbns.end()) out.nbns.push_back(*a);
      return true;
    }
    ignore(w, true);
    return true;
  }
  bool line(std::string_view l) {
    std::vector<std::string> w;
    if (!openvpn_words(l, w)) {
      error = "an unterminated quote";
      return false;
    }
    if (w.empty()) return true;
    if (w[0] == "push" && w.size() == 2) {
      std::vector<std::string> inner;
      if (!openvpn_words(w[1], inner)) {
        error = "an unterminated quote in the pushed option";
        return false;
      }
      return pushed(inner);
    }
    if (w[0] == "push-reset" && w.size() == 1) {  // what was pushed before it is dropped too
      out.push_reset = true;
      out.redirect4 = out.redirect6 = false;
      out.routes.clear();
      out.no_routes.clear();
      out.dns.clear();
      out.nbns.clear();
      out.split_dns.clear();
      out.domain.clear();
      return true;
    }
    if ((w[0] == "iroute" && w.size() >= 2 && w.size() <= 3) || (w[0] == "iroute-ipv6" && w.size() == 2)) {
      auto net = w[0] == "iroute" ? v4_route(w) : parse_ip_net(w[1]);
      // A default route as an iroute would replace the server's own default route.
      if (!net || (w[0] == "iroute-ipv6" && net->addr.is_v4()) || net->prefix == 0)
        return ignore(w, false), true;
      if (!room(out.iroutes.size(), "iroutes")) return false;
      auto same = [&](const IpNet& x) { return x.addr == net->addr && x.prefix == net->prefix; };
      if (std::none_of(out.iroutes.begin(), out.iroutes.end(), same)) out.iroutes.push_back(*net);
      return true;
    }
    if (w[0] == "disable" && w.size() == 1) {
      out.disable = true;
      return true;
    }
    if (w[0] == "ifconfig-push" && w.size() >= 2 && w.size() <= 4) {
      auto a = parse_ip(w[1]);
      if (!a || !a->is_v4()) return ignore(w, false), true;
      out.ifconfig4 = *a;
      return true;
    }
    if (w[0] == "ifconfig-ipv6-push" && w.size() >= 2 && w.size() <= 3) {
      auto a = parse_ip(w[1].substr(0, w[1].find('/')));
      if (!a || a->is_v4()) return ignore(w, false), true;
      out.ifconfig6 = *a;
      return true;
    }
    ignore(w, false);
    return true;
  }
};

std::string text_of(const std::string& s) {
  return s;
}
template <typename T>
std::string text_of(const T& x) {
  return x.to_string();
}

void add_unique(google::protobuf::RepeatedPtrField<std::string>& list, const std::string& v) {
  if (std::find(list.begin(), list.end(), v) == list.end()) *list.Add() = v;
}

// A list the script pushed to: the session's own (`base`, else the configuration's `cfg`) and
// then the pushed entries, or the pushed ones alone (maybe none) after push-reset. Untouched
// when nothing was pushed and no push-reset came.
template <typename T>
void merge_pushed(google::protobuf::RepeatedPtrField<std::string>& to,
                  const google::protobuf::RepeatedPtrField<std::string>& base, const std::vector<T>& cfg,
                  const std::vector<T>& pushed, bool reset) {
  if (pushed.empty() && !reset) return;
  google::protobuf::RepeatedPtrField<std::string> list;
  if (!reset && base.size() > 0) list = base;
  if (!reset && base.size() == 0)
    for (const auto& c : cfg) *list.Add() = text_of(c);
  for (const auto& p : pushed) add_unique(list, text_of(p));
  to = list;
}

}  // namespace

Result<ConnectOutput> parse_connect_output(std::string_view text, std::string* error) {
  if (text.size() > kMaxConnectOutput) {
    *error = "longer than " + std::to_string(kMaxConnectOutput) + " bytes";
    return Errc::Malformed;
  }
  Parser p;
  size_t n = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view l = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++n;
    if (!p.line(l)) {
      *error = "line " + std::to_string(n) + ": " + p.error;
      return Errc::Malformed;
    }
  }
  return std::move(p.out);
}

ipc::UserSettings apply_connect_output(const ipc::UserSettings& base, const Config& cfg,
                                       const std::vector<IpNet>& vpn_nets, const ConnectOutput& out) {
  ipc::UserSettings s = base;
  // The routes the session has now, as the settings spell them ("default" for everything).
  google::protobuf::RepeatedPtrField<std::string> routes;
  if (base.routes_size() > 0) {
    routes = base.routes();
  } else {
    if (cfg.route_default) *routes.Add() = "default";
    for (const auto& r : cfg.routes) *routes.Add() = r.to_string();
  }
  bool everything = std::any_of(routes.begin(), routes.end(), [](const std::string& r) {
    auto n = parse_ip_net(r);
    return r == "default" || (n && n->is_default_route());
  });
  if (out.push_reset) {  // the client's own VPN networks only, then what the script pushed
    routes.Clear();
    for (const auto& n : vpn_nets) *routes.Add() = n.to_string();
    everything = false;
  }
  // A redirect of a family the session has no address in does nothing (as openvpn's client
  // skips it); all of each family it has is everything. With no family known, any redirect is.
  bool has4 = std::any_of(vpn_nets.begin(), vpn_nets.end(), [](const IpNet& n) { return n.addr.is_v4(); });
  bool has6 = std::any_of(vpn_nets.begin(), vpn_nets.end(), [](const IpNet& n) { return !n.addr.is_v4(); });
  bool known = has4 || has6;
  bool r4 = out.redirect4 && (has4 || !known), r6 = out.redirect6 && (has6 || !known);
  bool redirect = r4 || r6;
  if (redirect && (r4 || !has4) && (r6 || !has6) && !everything) {
    add_unique(routes, "default");
    everything = true;
  }
  if (!everything) {
    if (r4) add_unique(routes, "0.0.0.0/1"), add_unique(routes, "128.0.0.0/1");
    if (r6) add_unique(routes, "::/0");
    for (const auto& r : out.routes) add_unique(routes, r.to_string());
  }
  if (out.push_reset || redirect || !out.routes.empty()) *s.mutable_routes() = routes;

  merge_pushed(*s.mutable_no_routes(), base.no_routes(), cfg.no_routes, out.no_routes, out.push_reset);
  merge_pushed(*s.mutable_dns(), base.dns(), cfg.dns, out.dns, out.push_reset);
  merge_pushed(*s.mutable_nbns(), base.nbns(), cfg.nbns, out.nbns, out.push_reset);
  merge_pushed(*s.mutable_split_dns(), base.split_dns(), cfg.split_dns, out.split_dns, out.push_reset);
  if (out.push_reset) {  // nothing of the configuration's pushes stays (routes are above)
    s.set_pushed_reset(true);
    s.clear_default_domain();
  }
  if (!out.domain.empty()) s.set_default_domain(out.domain);
  return s;
}

}  // namespace sslvpn::mainproc
