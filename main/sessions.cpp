#include "main/sessions.hpp"

#include "main/user_settings.hpp"

#include "common/header_lines.hpp"
#include "common/text.hpp"
#include "common/user_config.hpp"

#include <algorithm>
#include <stdexcept>

namespace sslvpn::mainproc {
namespace {

// MTU bounds: IPv4's minimum, and what any Ethernet-sized path can carry.
constexpr uint32_t kMinMtu = 576;
constexpr uint32_t kMinIpv6Mtu = 1280;
constexpr uint32_t kDefaultBaseMtu = 1500;
constexpr uint32_t kMaxBaseMtu = 9000;
// IP and TCP headers (TCP with timestamps) under the TLS records.
constexpr uint32_t kIpv4Header = 20, kIpv6Header = 40, kTcpHeader = 32, kUdpHeader = 8;
// Used when the worker reports no TLS overhead: TLS 1.2 AES-GCM record + CSTP header.
constexpr uint32_t kDefaultCstpOverhead = 29 + 8;
// Logins listed without a tunnel; sec-mod expires their cookies, this only bounds the list.
constexpr size_t kMaxLogins = 100000;

}  // namespace

SessionManager::SessionManager(std::shared_ptr<const Config> cfg) {
  reconfigure(std::move(cfg));
}

SessionManager::Host SessionManager::make_host(std::shared_ptr<const Config> cfg) {
  Host h;
  h.v4 = pools_.get(cfg->ipv4_network, 32, cfg->predictable_ips);
  h.v6 = pools_.get(cfg->ipv6_network, cfg->ipv6_subnet_prefix, cfg->predictable_ips);
  h.cfg = std::move(cfg);
  return h;
}

void SessionManager::reconfigure(std::shared_ptr<const Config> cfg) {
  std::vector<Host> hosts;
  for (const auto& v : cfg->vhosts) hosts.push_back(make_host(v.config));
  hosts.insert(hosts.begin(), make_host(std::move(cfg)));
  hosts_ = std::move(hosts);
}

std::string SessionManager::pool_conflict(const Config& cfg) const {
  std::vector<const Config*> all{&cfg};
  for (const auto& v : cfg.vhosts) all.push_back(v.config.get());
  for (const Config* c : all)
    for (const auto* net : {&c->ipv4_network, &c->ipv6_network}) {
      if (!*net) continue;
      std::string other = pools_.overlapped(**net, (*net)->addr.is_v4() ? 32 : c->ipv6_subnet_prefix);
      if (!other.empty())
        return (c->vhost.empty() ? std::string("the default host") : "[vhost:" + c->vhost + "]") +
               "'s network " + (*net)->to_string() + " overlaps " + other +
               ", a pool this server already serves; that needs a restart";
    }
  return {};
}

const SessionManager::Host* SessionManager::host_for(const std::string& vhost) const {
  for (const auto& h : hosts_)
    if (h.cfg->vhost == vhost) return &h;
  return nullptr;
}

void SessionManager::note_login(Login login) {
  if (login.id == 0 || sessions_.count(login.id) || logins_.size() >= kMaxLogins) return;
  logins_[login.id] = std::move(login);
}

std::vector<const Login*> SessionManager::logins() const {
  std::vector<const Login*> out;
  out.reserve(logins_.size());
  for (const auto& [id, l] : logins_) out.push_back(&l);
  return out;
}

const Session* SessionManager::find(uint64_t sid) const {
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : &it->second;
}

std::vector<const Session*> SessionManager::all() const {
  std::vector<const Session*> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) out.push_back(&s);
  return out;
}

size_t SessionManager::leases_in_use() const {
  return pools_.leases_in_use();
}

// By name across every virtual host, as ocserv's check_multiple_users counts.
size_t SessionManager::connected_sessions_of(const std::string& user, uint64_t except) const {
  size_t n = 0;
  for (const auto& [id, s] : sessions_)
    if (id != except && s.worker > 0 && !s.replaced && s.user == user) ++n;
  return n;
}

uint32_t SessionManager::tunnel_mtu(const Session& s, const ipc::SessionRequest& req,
                                    bool client_ipv6) const {
  const ipc::UserSettings& us = s.settings;
  uint32_t base =
      req.base_mtu() >= kMinMtu && req.base_mtu() <= kMaxBaseMtu ? req.base_mtu() : kDefaultBaseMtu;
  uint32_t overhead = req.transport_overhead() > 0 && req.transport_overhead() <= 256
                          ? req.transport_overhead()
                          : kDefaultCstpOverhead;
  overhead +=
      (client_ipv6 ? kIpv6Header : kIpv4Header) + (req.datagram_transport() ? kUdpHeader : kTcpHeader);
  uint32_t mtu = base > overhead + kMinMtu ? base - overhead : kMinMtu;
  uint32_t configured = us.has_mtu() ? us.mtu() : s.cfg->mtu;
  if (configured != 0) mtu = std::min(mtu, configured);
  if (req.client_mtu() >= kMinMtu) mtu = std::min(mtu, req.client_mtu());
  return std::max(mtu, kMinMtu);
}

namespace {

constexpr auto kBadSession = ipc::SessionReply::BAD_SESSION;
constexpr auto kUnavailable = ipc::SessionReply::UNAVAILABLE;

Errc refuse(Refusal* r, ipc::SessionReply::Refusal kind, std::string why) {
  r->kind = kind;
  r->reason = std::move(why);
  return Errc::Denied;
}

}  // namespace

Result<void> SessionManager::init_session(Session& s, const ipc::SessionOpenReply& who,
                                          const std::string& client_ip, time_t now, Refusal* refusal) const {
  s.id = who.session_id();
  s.user = who.username();
  s.group = who.group();
  s.created = now;
  s.first_ip = client_ip;
  const Host* h = host_for(who.vhost());
  if (h == nullptr)
    return refuse(refusal, kBadSession, "the virtual host this session logged in to was removed");
  s.vhost = h->cfg->vhost;
  s.cfg = h->cfg;
  s.v4 = h->v4;
  s.v6 = h->v6;
  std::string error;
  auto us = load_session_settings(*s.cfg, s.user, s.group, who.settings(), &error);
  if (!us.ok()) {
    refusal->detail = error;
    return refuse(refusal, kUnavailable, "the server's settings for this user are broken");
  }
  s.settings = std::move(us).value();
  s.session_timeout =
      s.settings.has_session_timeout() ? s.settings.session_timeout() : s.cfg->session_timeout;
  if (!s.cfg->openvpn_client_config_dir.empty()) return load_client_config(s, refusal);
  return {};
}

Result<void> SessionManager::admit(Session& s, const std::string& client_ip, time_t now, Refusal* refusal) {
  if (s.replaced) return refuse(refusal, kBadSession, "replaced by a newer connection of the same user");
  if (s.session_timeout != 0 && now - s.created >= static_cast<time_t>(s.session_timeout))
    return refuse(refusal, kBadSession, "session-timeout reached");
  bool deny_roaming = s.settings.has_deny_roaming() ? s.settings.deny_roaming() : s.cfg->deny_roaming;
  if (deny_roaming && client_ip != s.first_ip)
    return refuse(refusal, kBadSession,
                  "this session may only be used from the address it started from (deny-roaming)");
  make_room(s);  // replace-same-clients
  uint32_t max_same =
      s.settings.has_max_same_clients() ? s.settings.max_same_clients() : s.cfg->max_same_clients;
  if (max_same != 0 && connected_sessions_of(s.user, s.id) >= max_same)
    return refuse(refusal, kUnavailable,
                  "too many connections for this user (max-same-clients " + std::to_string(max_same) + ")");
  return {};
}

// A user's or group's own network (ocserv's per-user 'ipv4-network') replaces the host's pool.
// A bare address takes the netmask the files gave, or the host network's (as ocserv's
// apply_default_config). Pools that a host or any session uses are kept from overlapping.
Result<void> SessionManager::choose_pools(Session& s, Refusal* refusal) {
  const ipc::UserSettings& us = s.settings;
  if (us.ipv4_network().empty() && us.ipv6_network().empty()) return {};
  std::vector<IpPool*> in_use;
  for (const auto& h : hosts_) in_use.insert(in_use.end(), {h.v4, h.v6});
  for (const auto& [id, other] : sessions_) in_use.insert(in_use.end(), {other.v4, other.v6});
  auto own = [&](std::string text, const std::string& size, uint8_t lease, IpPool*& into) -> Result<void> {
    if (text.empty()) return {};
    if (text.find('/') == std::string::npos) {
      if (size.empty())
        return refuse(refusal, kUnavailable,
                      "the user's or group's own network " + text +
                          " has no size, and the host has no network to take one from");
      text += "/" + size;
    }
    auto net = parse_ip_net(text);
    std::string why = "its network '" + text + "' is not one";
    if (net && net->addr.is_v4() && net->prefix > 30) why = "its network " + text + " is too small";
    IpPool* p = net && !(net->addr.is_v4() && net->prefix > 30)
                    ? pools_.for_user(*net, lease, s.cfg->predictable_ips, in_use, &why)
                    : nullptr;
    if (p == nullptr) return refuse(refusal, kUnavailable, "the user's or group's own address pool: " + why);
    into = p;
    return {};
  };
  auto size_of = [](const std::optional<IpNet>& n) { return n ? std::to_string(n->prefix) : std::string(); };
  std::string v4_size = !us.ipv4_netmask().empty() ? us.ipv4_netmask() : size_of(s.cfg->ipv4_network);
  if (auto r = own(us.ipv4_network(), v4_size, 32, s.v4); !r) return r;
  uint8_t lease =
      us.has_ipv6_subnet_prefix() ? static_cast<uint8_t>(us.ipv6_subnet_prefix()) : s.cfg->ipv6_subnet_prefix;
  return own(us.ipv6_network(), size_of(s.cfg->ipv6_network), lease, s.v6);
}

Result<void> SessionManager::lease_addresses(Session& s, const ipc::SessionRequest& req, uint32_t mtu,
                                             Refusal* refusal) {
  if (!s.ipv4 && s.v4 && !s.settings.explicit_ipv4().empty()) {
    auto want = parse_ip(s.settings.explicit_ipv4());
    s.ipv4 = want ? acquire_explicit(s, false, *want) : std::nullopt;
    if (!s.ipv4)
      return refuse(refusal, kUnavailable,
                    "the assigned address " + s.settings.explicit_ipv4() + " is not available");
  }
  if (!s.ipv4 && s.v4) s.ipv4 = take_replaced(s, false);
  if (!s.ipv4 && s.v4) s.ipv4 = s.v4->acquire(s.user, parse_ip(req.wanted_ipv4()));
  bool v6_ok = s.v6 && req.ipv6() && mtu >= kMinIpv6Mtu;
  if (!s.ipv6 && v6_ok && !s.settings.explicit_ipv6().empty()) {
    auto want = parse_ip(s.settings.explicit_ipv6());
    s.ipv6 = want ? acquire_explicit(s, true, *want) : std::nullopt;
    if (!s.ipv6)
      return refuse(refusal, kUnavailable,
                    "the assigned address " + s.settings.explicit_ipv6() + " is not available");
  }
  if (!s.ipv6 && v6_ok) s.ipv6 = take_replaced(s, true);
  if (!s.ipv6 && v6_ok) s.ipv6 = s.v6->acquire(s.user, parse_ip(req.wanted_ipv6()));
  if (s.ipv4 || s.ipv6) return {};
  if (!s.v4 && !s.v6) return refuse(refusal, kUnavailable, "no ipv4-network or ipv6-network is configured");
  return refuse(refusal, kUnavailable, "no free IP address");
}

Result<TunDevice> SessionManager::setup_tun(const Session& s, uint32_t mtu, Refusal* refusal) {
  std::string error;
  auto tun = open_tun(s.cfg->device, s.cfg->tun_offload, &error, &tun_names_);
  if (!tun.ok()) return refuse(refusal, kUnavailable, "cannot create a TUN device: " + error);
  TunDevice t = std::move(tun).value();
  bool v6_routes = false;
  for (const auto& r : s.settings.iroutes()) v6_routes = v6_routes || r.find(':') != std::string::npos;
  // Fails only where the kernel has no IPv6 (EAFNOSUPPORT): then there is nothing to save.
  if (!s.ipv6 && !v6_routes) (void)netlink_.no_ipv6_link_local(t.ifindex, &error);
  // Link up first: an IPv6 point-to-point address added to a device that is still down does
  // not reliably get its peer route when the link comes up (the client's replies get lost).
  if (!netlink_.set_link(t.ifindex, mtu, true, &error))
    return refuse(refusal, kUnavailable, "cannot bring the tunnel up: " + error);
  if (s.ipv4 && !netlink_.add_address(t.ifindex, s.v4->server_address(), *s.ipv4, 32, &error))
    return refuse(refusal, kUnavailable, "cannot set the tunnel address: " + error);
  if (s.ipv6 &&
      !netlink_.add_address(t.ifindex, s.v6->server_address(), *s.ipv6, s.v6->client_prefix(), &error))
    return refuse(refusal, kUnavailable, "cannot set the tunnel IPv6 address: " + error);
  // iroute: networks behind this client are routed into its tunnel (by route-add-cmd once the
  // tunnel is granted, when it is set, as in ocserv).
  if (!s.cfg->route_add_cmd.empty()) return t;
  for (const auto& r : s.settings.iroutes()) {
    auto net = parse_ip_net(r);
    if (net && !netlink_.add_route(t.ifindex, *net, &error))
      return refuse(refusal, kUnavailable, "cannot route " + r + " to the client: " + error);
  }
  return t;
}

Result<uint32_t> SessionManager::lease(const ipc::SessionOpenReply& who, const std::string& client_ip,
                                       const ipc::SessionRequest& req, time_t now, Refusal* refusal) {
  uint64_t sid = who.session_id();
  bool created = !sessions_.count(sid);
  Session& s = sessions_[sid];
  auto fail = [&](Errc e) -> Result<uint32_t> {
    give_back(s);
    unreplace(s);   // the sessions it would have replaced stay as they were
    if (created) {  // a session that never had a tunnel leaves nothing behind
      release(s);
      sessions_.erase(sid);
    }
    return e;
  };
  if (created && std::find(ended_replaced_.begin(), ended_replaced_.end(), sid) != ended_replaced_.end())
    return fail(refuse(refusal, kBadSession, "replaced by a newer connection of the same user"));
  if (created) {
    if (auto r = init_session(s, who, client_ip, now, refusal); !r) return fail(r.error());
    if (auto r = choose_pools(s, refusal); !r) return fail(r.error());
  }
  if (auto r = admit(s, client_ip, now, refusal); !r) return fail(r.error());
  // A reconnect reads the file again, as openvpn does at each connection: a `disable` added
  // (or, with ccd-exclusive, the file removed) since the session began ends it here.
  if (!created && !s.cfg->openvpn_client_config_dir.empty())
    if (auto r = read_client_config(s, refusal); !r) return fail(r.error());
  bool client_v6_transport = client_ip.find(':') != std::string::npos;
  uint32_t mtu = tunnel_mtu(s, req, client_v6_transport);
  if (auto r = lease_addresses(s, req, mtu, refusal); !r) return fail(r.error());
  if (created) fold_client_config(s);
  logins_.erase(sid);  // listed as a session from now on
  return mtu;
}

Result<TunnelGrant> SessionManager::attach(uint64_t sid, pid_t worker, const ipc::SessionRequest& req,
                                           uint32_t mtu, time_t now, Refusal* refusal) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) return refuse(refusal, kBadSession, "the session is gone");
  Session& s = it->second;
  auto tun = setup_tun(s, mtu, refusal);
  if (!tun.ok()) return tun.error();
  TunnelGrant g;
  g.tun = std::move(tun).value();
  uint32_t base =
      req.base_mtu() >= kMinMtu && req.base_mtu() <= kMaxBaseMtu ? req.base_mtu() : kDefaultBaseMtu;
  g.params = params_for(s, g.tun, mtu, base, req.mobile(), now);
  g.displaced = (s.worker > 0 && s.worker != worker) ? s.worker : -1;
  s.worker = worker;
  s.protocol = req.protocol();
  return g;
}

Result<TunnelGrant> SessionManager::open(const ipc::SessionOpenReply& who, pid_t worker,
                                         const std::string& client_ip, const ipc::SessionRequest& req,
                                         time_t now, Refusal* refusal) {
  uint64_t sid = who.session_id();
  bool created = !sessions_.count(sid);
  auto mtu = lease(who, client_ip, req, now, refusal);
  if (!mtu.ok()) return mtu.error();
  auto g = attach(sid, worker, req, *mtu, now, refusal);
  if (auto it = sessions_.find(sid); !g.ok() && it != sessions_.end()) {
    give_back(it->second);
    unreplace(it->second);
  }
  if (!g.ok() && created) {  // back to a login without a tunnel
    auto it = sessions_.find(sid);
    Login l{sid, it->second.user, it->second.group, client_ip, it->second.created, it->second.vhost};
    release(it->second);
    sessions_.erase(it);
    note_login(std::move(l));
  }
  return g;
}

void SessionManager::add_name_service(ipc::TunnelParams& p, const Session& s,
                                      const ipc::UserSettings& us) const {
  const Config& c = *s.cfg;
  // A list in the session's settings replaces the configured one; after a connect script's
  // push-reset the session's lists are all there is, even empty.
  bool own = us.pushed_reset();
  if (own || us.dns_size() > 0)
    for (const auto& d : us.dns()) p.add_dns(d);
  else
    for (const auto& d : c.dns) p.add_dns(d.to_string());
  if (own || us.nbns_size() > 0)
    for (const auto& d : us.nbns()) p.add_nbns(d);
  else
    for (const auto& d : c.nbns) p.add_nbns(d.to_string());
  if (own || us.split_dns_size() > 0)
    for (const auto& d : us.split_dns()) p.add_split_dns(d);
  else
    for (const auto& d : c.split_dns) p.add_split_dns(d);
  p.set_default_domain(own || !us.default_domain().empty() ? us.default_domain() : c.default_domain);
}

void SessionManager::add_routes(ipc::TunnelParams& p, const Session& s, const ipc::UserSettings& us) const {
  const Config& c = *s.cfg;
  std::vector<IpNet> routes = c.routes, no_routes = c.no_routes;
  bool route_default = c.route_default;
  if (us.routes_size() > 0) {
    // append-routes: the host's stay and the user's add to them (not after a push-reset, which
    // leaves the client its own networks only).
    bool append = c.append_routes && !us.pushed_reset();
    if (!append) routes.clear();
    route_default = append && c.route_default_listed;
    for (const auto& r : us.routes()) {
      auto n = parse_ip_net(r);
      // 0.0.0.0/0 from RADIUS's Framed-Route too: never a split include
      // of everything, which a client's script would install in place of its default route.
      if (r == "default" || (n && n->is_default_route()))
        route_default = true;
      else if (n)
        routes.push_back(*n);
    }
  }
  // expose-iroutes: the networks behind other users' clients, not the ones behind this client
  for (const auto& n : c.known_iroutes) {
    if (us.pushed_reset()) break;
    bool own = std::find(us.iroutes().begin(), us.iroutes().end(), n.to_string()) != us.iroutes().end();
    if (!own && std::find(routes.begin(), routes.end(), n) == routes.end()) routes.push_back(n);
  }
  if (us.no_routes_size() > 0 || us.pushed_reset()) {
    if (!c.append_routes || us.pushed_reset()) no_routes.clear();
    for (const auto& r : us.no_routes()) {
      auto n = parse_ip_net(r);
      if (n && std::find(no_routes.begin(), no_routes.end(), *n) == no_routes.end()) no_routes.push_back(*n);
    }
  }
  p.set_tunnel_all_dns((us.has_tunnel_all_dns() ? us.tunnel_all_dns() : c.tunnel_all_dns) || route_default);
  if (!route_default) {
    // The client's IPv6 address is a /128 (or its own subnet): route the whole VPN network,
    // as the IPv4 netmask does for IPv4.
    if (s.ipv6) p.add_route_include(s.v6->network().to_string());
    // With IPv6 routes alone IPv4 would have no include, which AnyConnect and GlobalProtect
    // clients read as "everything through the tunnel" while this server (restrict-user-to-
    // routes, tunnel-all-dns) treats the session as split: route the IPv4 pool's network.
    bool any_v4 = std::any_of(routes.begin(), routes.end(), [](const IpNet& r) { return r.addr.is_v4(); });
    if (s.ipv4 && !any_v4) p.add_route_include(s.v4->network().to_string());
    for (const auto& r : routes) {
      std::string t = r.to_string();
      bool listed =
          std::find(p.route_include().begin(), p.route_include().end(), t) != p.route_include().end();
      if ((r.addr.is_v4() || s.ipv6) && !listed) p.add_route_include(t);
    }
  }
  for (const auto& r : no_routes)
    if (r.addr.is_v4() || s.ipv6) p.add_route_exclude(r.to_string());
  // restrict-user-to-routes: the worker drops packets to anything the client was not routed to
  // (its routes, the VPN networks and the DNS servers). With a default route nothing is barred.
  bool restrict = us.has_restrict_to_routes() ? us.restrict_to_routes() : c.restrict_user_to_routes;
  if (restrict && !route_default) {
    for (const auto& r : routes) p.add_allowed_destinations(r.to_string());
    if (s.v4) p.add_allowed_destinations(s.v4->network().to_string());
    if (s.v6) p.add_allowed_destinations(s.v6->network().to_string());
    for (const auto& d : p.dns()) p.add_allowed_destinations(d);
  }
}

bool SessionManager::apply_connect_output(uint64_t sid, const ConnectOutput& out,
                                          ipc::TunnelParams& p) const {
  const Session* s = find(sid);
  if (s == nullptr) return false;
  const Config& c = *s->cfg;
  std::vector<IpNet> vpn;  // the client's own networks: routed after a push-reset
  if (s->ipv4 && s->v4 != nullptr) vpn.push_back(s->v4->network());
  if (s->ipv6 && s->v6 != nullptr) vpn.push_back(s->v6->network());
  ipc::UserSettings us = mainproc::apply_connect_output(s->settings, c, vpn, out);
  p.clear_dns();
  p.clear_nbns();
  p.clear_split_dns();
  p.clear_default_domain();
  p.clear_tunnel_all_dns();
  p.clear_route_include();
  p.clear_route_exclude();
  p.clear_allowed_destinations();
  add_name_service(p, *s, us);
  add_routes(p, *s, us);
  return true;
}

bool SessionManager::route_into(uint64_t sid, unsigned ifindex, const IpNet& net, std::string* error) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) {
    *error = "the session is gone";
    return false;
  }
  // With route-add-cmd, the command routes it once the tunnel is granted.
  if (it->second.cfg->route_add_cmd.empty() && !netlink_.add_route(ifindex, net, error).ok()) return false;
  // Listed by `show iroutes` with the per-user ones, and routed again if the client reconnects.
  auto& list = *it->second.settings.mutable_iroutes();
  std::string text = net.to_string();
  if (std::find(list.begin(), list.end(), text) == list.end()) *list.Add() = text;
  return true;
}

ipc::TunnelParams SessionManager::params_for(const Session& s, const TunDevice& tun, uint32_t mtu,
                                             uint32_t base_mtu, bool mobile, time_t now) const {
  ipc::TunnelParams p;
  const Config& c = *s.cfg;
  p.set_username(s.user);
  p.set_group(s.group);
  p.set_device(tun.name);
  p.set_tun_vnet_hdr(tun.vnet_hdr);
  if (s.ipv4) {
    p.set_ipv4_address(s.ipv4->to_string());
    p.set_ipv4_netmask(s.v4->network().v4_netmask());
    p.set_ipv4_local(s.v4->server_address().to_string());
  }
  if (s.ipv6) {
    p.set_ipv6_address(s.ipv6->to_string());
    p.set_ipv6_prefix(s.v6->client_prefix());
    p.set_ipv6_local(s.v6->server_address().to_string());
  }
  const ipc::UserSettings& us = s.settings;
  add_name_service(p, s, us);
  add_routes(p, s, us);
  p.set_rx_per_sec(us.has_rx_per_sec() ? us.rx_per_sec() : c.rx_per_sec);
  p.set_tx_per_sec(us.has_tx_per_sec() ? us.tx_per_sec() : c.tx_per_sec);
  p.set_mtu(mtu);
  p.set_base_mtu(base_mtu);
  // A phone gets mobile-dpd / mobile-idle-timeout (fewer wake-ups): its user's or group's own,
  // else the host's (as ocserv); only without either do its settings' plain values apply.
  uint32_t dpd = us.has_dpd() ? us.dpd() : c.dpd;
  uint32_t idle = us.has_idle_timeout() ? us.idle_timeout() : c.idle_timeout;
  if (mobile && us.has_mobile_dpd())
    dpd = us.mobile_dpd();
  else if (mobile && c.mobile_dpd)
    dpd = *c.mobile_dpd;
  if (mobile && us.has_mobile_idle_timeout())
    idle = us.mobile_idle_timeout();
  else if (mobile && c.mobile_idle_timeout)
    idle = *c.mobile_idle_timeout;
  p.set_dpd(dpd);
  p.set_keepalive(us.has_keepalive() ? us.keepalive() : c.keepalive);
  p.set_idle_timeout(idle);
  if (us.has_ip_tos() || us.has_socket_priority())  // net-priority: the user's, or the host's
    us.has_ip_tos() ? p.set_ip_tos(us.ip_tos()) : p.set_socket_priority(us.socket_priority());
  else if (c.net_priority)
    c.net_priority->tos ? p.set_ip_tos(c.net_priority->value) : p.set_socket_priority(c.net_priority->value);
  p.set_rekey_time(c.rekey_time);
  p.set_rekey_in_place(c.rekey_in_place);
  p.set_client_bypass_protocol(c.client_bypass_protocol);
  p.set_dyndns(c.listen_host_is_dyndns);
  if (!c.proxy_url.empty()) p.set_proxy_pac_url(expand_user_group(c.proxy_url, s.user, s.group));
  p.set_restrict_to_ports(us.has_restrict_to_ports() ? us.restrict_to_ports() : c.restrict_user_to_ports);
  if (c.compression) {
    bool lz4_first = c.lz4_priority >= c.lzs_priority;
    p.add_compression(lz4_first ? ipc::COMPRESSION_LZ4 : ipc::COMPRESSION_LZS);
    p.add_compression(lz4_first ? ipc::COMPRESSION_LZS : ipc::COMPRESSION_LZ4);
    p.set_no_compress_limit(c.no_compress_limit);
  }
  p.set_session_timeout(s.session_timeout);
  if (s.session_timeout != 0)
    p.set_session_remaining(static_cast<uint32_t>(s.session_timeout - (now - s.created)));
  return p;
}

void SessionManager::release(Session& s) {
  if (s.ipv4 && s.v4) s.v4->release(*s.ipv4);
  if (s.ipv6 && s.v6) s.v6->release(*s.ipv6);
  s.ipv4.reset();
  s.ipv6.reset();
}

bool SessionManager::detach(uint64_t sid, pid_t worker, bool logout) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end() || it->second.worker != worker)
    return false;  // displaced: the new worker owns it
  it->second.worker = -1;
  give_back(it->second);  // nothing, once its tunnel was up (settle)
  unreplace(it->second);  // likewise
  if (logout) {
    release(it->second);
    sessions_.erase(it);
  }
  return true;
}

void SessionManager::settle(uint64_t sid) {
  if (auto it = sessions_.find(sid); it != sessions_.end())
    it->second.took_v4_from = it->second.took_v6_from = 0;
}

void SessionManager::expire(uint64_t sid) {
  logins_.erase(sid);
  auto it = sessions_.find(sid);
  if (it == sessions_.end() || it->second.worker > 0) return;
  unreplace(it->second);
  release(it->second);
  sessions_.erase(it);
}

}  // namespace sslvpn::mainproc
