#include "main/sessions.hpp"

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
constexpr uint32_t kIpv4Header = 20, kIpv6Header = 40, kTcpHeader = 32;
// Used when the worker reports no TLS overhead: TLS 1.2 AES-GCM record + CSTP header.
constexpr uint32_t kDefaultCstpOverhead = 29 + 8;

}  // namespace

SessionManager::SessionManager(const Config& cfg) : cfg_(cfg) {
  if (cfg.ipv4_network) v4_.emplace(*cfg.ipv4_network, 32, cfg.predictable_ips);
  if (cfg.ipv6_network) v6_.emplace(*cfg.ipv6_network, cfg.ipv6_subnet_prefix, cfg.predictable_ips);
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
  return (v4_ ? v4_->used() : 0) + (v6_ ? v6_->used() : 0);
}

size_t SessionManager::connected_sessions_of(const std::string& user, uint64_t except) const {
  size_t n = 0;
  for (const auto& [id, s] : sessions_)
    if (id != except && s.worker > 0 && s.user == user) ++n;
  return n;
}

uint32_t SessionManager::tunnel_mtu(const ipc::SessionRequest& req, bool client_ipv6) const {
  uint32_t base =
      req.base_mtu() >= kMinMtu && req.base_mtu() <= kMaxBaseMtu ? req.base_mtu() : kDefaultBaseMtu;
  uint32_t overhead =
      req.cstp_overhead() > 0 && req.cstp_overhead() <= 256 ? req.cstp_overhead() : kDefaultCstpOverhead;
  overhead += (client_ipv6 ? kIpv6Header : kIpv4Header) + kTcpHeader;
  uint32_t mtu = base > overhead + kMinMtu ? base - overhead : kMinMtu;
  if (cfg_.mtu != 0) mtu = std::min(mtu, cfg_.mtu);
  if (req.client_mtu() >= kMinMtu) mtu = std::min(mtu, req.client_mtu());
  return std::max(mtu, kMinMtu);
}

Result<TunnelGrant> SessionManager::open(const ipc::SessionOpenReply& who, pid_t worker,
                                         const std::string& client_ip, const ipc::SessionRequest& req,
                                         time_t now, Refusal* refusal) {
  uint64_t sid = who.session_id();
  const std::string& user = who.username();
  auto [it, created] = sessions_.try_emplace(sid);
  Session& s = it->second;
  if (created) {
    s.id = sid;
    s.user = user;
    s.group = who.group();
    s.created = now;
    s.settings = who.settings();
    s.session_timeout = s.settings.session_timeout() ? s.settings.session_timeout() : cfg_.session_timeout;
  }
  auto fail = [&](uint32_t status, std::string why) -> Result<TunnelGrant> {
    refusal->http_status = status;
    refusal->reason = std::move(why);
    if (created) {
      release(s);
      sessions_.erase(it);
    }
    return Errc::Denied;
  };
  if (s.session_timeout != 0 && now - s.created >= static_cast<time_t>(s.session_timeout))
    return fail(401, "session-timeout reached");
  if (cfg_.max_same_clients != 0 && connected_sessions_of(user, sid) >= cfg_.max_same_clients)
    return fail(503, "too many connections for this user (max-same-clients " +
                         std::to_string(cfg_.max_same_clients) + ")");

  bool client_v6_transport = client_ip.find(':') != std::string::npos;
  uint32_t mtu = tunnel_mtu(req, client_v6_transport);
  if (!s.ipv4 && v4_ && !s.settings.explicit_ipv4().empty()) {
    auto want = parse_ip(s.settings.explicit_ipv4());
    s.ipv4 = want ? v4_->acquire_exact(*want) : std::nullopt;
    if (!s.ipv4) return fail(503, "the assigned address " + s.settings.explicit_ipv4() + " is not available");
  }
  if (!s.ipv4 && v4_) s.ipv4 = v4_->acquire(user, parse_ip(req.wanted_ipv4()));
  if (!s.ipv6 && v6_ && req.ipv6() && mtu >= kMinIpv6Mtu)
    s.ipv6 = v6_->acquire(user, parse_ip(req.wanted_ipv6()));
  if (!s.ipv4 && !s.ipv6) {
    if (!v4_ && !v6_) return fail(503, "no ipv4-network or ipv6-network is configured");
    return fail(503, "no free IP address");
  }

  TunnelGrant g;
  std::string error;
  auto tun = open_tun(cfg_.device, &error);
  if (!tun.ok()) return fail(503, "cannot create a TUN device: " + error);
  g.tun = std::move(tun).value();
  // Link up first: an IPv6 point-to-point address added to a device that is still down does
  // not reliably get its peer route when the link comes up (the client's replies get lost).
  if (!netlink_.set_link(g.tun.ifindex, mtu, true, &error))
    return fail(503, "cannot bring the tunnel up: " + error);
  if (s.ipv4 && !netlink_.add_address(g.tun.ifindex, v4_->server_address(), *s.ipv4, 32, &error))
    return fail(503, "cannot set the tunnel address: " + error);
  if (s.ipv6 &&
      !netlink_.add_address(g.tun.ifindex, v6_->server_address(), *s.ipv6, v6_->client_prefix(), &error))
    return fail(503, "cannot set the tunnel IPv6 address: " + error);

  uint32_t base =
      req.base_mtu() >= kMinMtu && req.base_mtu() <= kMaxBaseMtu ? req.base_mtu() : kDefaultBaseMtu;
  g.params = params_for(s, g.tun, mtu, base, now);
  g.displaced = (s.worker > 0 && s.worker != worker) ? s.worker : -1;
  s.worker = worker;
  return g;
}

ipc::TunnelParams SessionManager::params_for(const Session& s, const TunDevice& tun, uint32_t mtu,
                                             uint32_t base_mtu, time_t now) const {
  ipc::TunnelParams p;
  p.set_username(s.user);
  p.set_group(s.group);
  p.set_device(tun.name);
  if (s.ipv4) {
    p.set_ipv4_address(s.ipv4->to_string());
    p.set_ipv4_netmask(v4_->network().v4_netmask());
    p.set_ipv4_local(v4_->server_address().to_string());
  }
  if (s.ipv6) {
    p.set_ipv6_address(s.ipv6->to_string());
    p.set_ipv6_prefix(v6_->client_prefix());
    p.set_ipv6_local(v6_->server_address().to_string());
  }
  for (const auto& d : cfg_.dns) p.add_dns(d.to_string());
  for (const auto& d : cfg_.nbns) p.add_nbns(d.to_string());
  for (const auto& d : cfg_.split_dns) p.add_split_dns(d);
  p.set_default_domain(cfg_.default_domain);
  // Routes the login assigned (RADIUS Framed-Route) replace the configured ones.
  std::vector<IpNet> user_routes;
  for (const auto& r : s.settings.routes())
    if (auto n = parse_ip_net(r)) user_routes.push_back(*n);
  bool route_default = user_routes.empty() && cfg_.route_default;
  const std::vector<IpNet>& routes = user_routes.empty() ? cfg_.routes : user_routes;
  p.set_tunnel_all_dns(cfg_.tunnel_all_dns || route_default);
  if (!route_default) {
    // The client's IPv6 address is a /128 (or its own subnet): route the whole VPN network,
    // as the IPv4 netmask does for IPv4.
    if (s.ipv6) p.add_split_include6(v6_->network().to_string());
    for (const auto& r : routes) {
      if (r.addr.is_v4())
        p.add_split_include(r.v4_with_netmask());
      else if (s.ipv6)
        p.add_split_include6(r.to_string());
    }
  }
  for (const auto& r : cfg_.no_routes) {
    if (r.addr.is_v4())
      p.add_split_exclude(r.v4_with_netmask());
    else if (s.ipv6)
      p.add_split_exclude6(r.to_string());
  }
  p.set_mtu(mtu);
  p.set_base_mtu(base_mtu);
  p.set_dpd(cfg_.dpd);
  p.set_keepalive(cfg_.keepalive);
  p.set_idle_timeout(cfg_.idle_timeout);
  p.set_session_timeout(s.session_timeout);
  if (s.session_timeout != 0)
    p.set_session_remaining(static_cast<uint32_t>(s.session_timeout - (now - s.created)));
  return p;
}

void SessionManager::release(Session& s) {
  if (s.ipv4 && v4_) v4_->release(*s.ipv4);
  if (s.ipv6 && v6_) v6_->release(*s.ipv6);
  s.ipv4.reset();
  s.ipv6.reset();
}

void SessionManager::detach(uint64_t sid, pid_t worker, bool logout) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end() || it->second.worker != worker) return;  // displaced: the new worker owns it
  it->second.worker = -1;
  if (logout) {
    release(it->second);
    sessions_.erase(it);
  }
}

void SessionManager::expire(uint64_t sid) {
  auto it = sessions_.find(sid);
  if (it == sessions_.end() || it->second.worker > 0) return;
  release(it->second);
  sessions_.erase(it);
}

}  // namespace sslvpn::mainproc
