// Tunnel sessions in main. A session lives as long as sec-mod's cookie for it: it keeps its
// address leases across reconnects, at most one worker runs its tunnel at a time (a reconnect
// with the same cookie displaces the old worker), and its leases are freed when the user logs
// out or sec-mod reports the cookie expired.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config.hpp"
#include "common/ip_addr.hpp"
#include "common/result.hpp"
#include "ipc.pb.h"
#include "main/connect_output.hpp"
#include "main/ip_pool.hpp"
#include "main/os/netlink.hpp"
#include "main/os/tun.hpp"
#include "main/pool_set.hpp"

namespace sslvpn::mainproc {

struct Session {
  uint64_t id = 0;
  std::string user;
  std::string group;
  std::string vhost;                  // the [vhost:NAME] it logged in to ("" = default)
  std::shared_ptr<const Config> cfg;  // that host's configuration when the session began
  IpPool* v4 = nullptr;               // its pools: its host's, or its user's or group's own
                                      // (the manager's; never freed)
  IpPool* v6 = nullptr;
  std::optional<IpAddr> ipv4;
  std::optional<IpAddr> ipv6;
  pid_t worker = -1;           // the worker running its tunnel; -1 while disconnected
  time_t created = 0;          // first tunnel: session-timeout counts from here, across reconnects
  ipc::UserSettings settings;  // group/user files and the login's, fixed for the session's life
  // Its openvpn-client-config-dir file (read when the session began): its ifconfig-push is the
  // session's explicit address; the rest folds into `settings` once the addresses are leased.
  std::optional<ConnectOutput> client_config;
  uint32_t session_timeout = 0;
  std::string first_ip;                      // the client address of the first tunnel (deny-roaming)
  ipc::Protocol protocol = ipc::ANYCONNECT;  // of its last tunnel
  // The session of the same user whose address this one took (0: none): a detached one's
  // explicit address, or a replaced one's; until its tunnel is up: a failed start gives it back.
  uint64_t took_v4_from = 0, took_v6_from = 0;
  // replace-same-clients: a newer session of the user replaces this one. It is not counted, its
  // cookie opens nothing, and its explicit addresses may pass to the newer one; its tunnel ends
  // once the newer one's is granted (or it stays as it was if that one is refused).
  bool replaced = false;
  std::vector<uint64_t> replacing;  // the sessions this one replaces, until its tunnel is granted
};

// A login whose cookie has not opened a tunnel yet (openconnect --authenticate, or a client
// between its login and its CONNECT): no leases, listed by "show sessions".
struct Login {
  uint64_t id = 0;
  std::string user;
  std::string group;
  std::string client_ip;
  time_t created = 0;
  std::string vhost;
};

// CIDR routes (TunnelParams) as occtl lists them and ocserv's scripts get them: IPv4 first as
// "a.b.c.d/m.m.m.m", then IPv6 as CIDR, each family in its order.
template <class Range>
std::vector<std::string> routes_occtl_form(const Range& cidrs) {
  std::vector<std::string> v4, v6;
  for (const auto& c : cidrs)
    if (auto n = parse_ip_net(c)) (n->addr.is_v4() ? v4 : v6).push_back(n->split_form());
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

// What a worker needs to start its tunnel.
struct TunnelGrant {
  TunDevice tun;
  ipc::TunnelParams params;
  pid_t displaced = -1;  // a previous worker of the same session, to be stopped
};

struct Refusal {
  ipc::SessionReply::Refusal kind = ipc::SessionReply::UNAVAILABLE;
  std::string reason;  // told the client (X-Reason)
  std::string detail;  // for the server log only (may name files)
};

class SessionManager {
 public:
  // Throws at startup if the configuration has no usable network or netlink fails.
  explicit SessionManager(std::shared_ptr<const Config> cfg);
  // A reloaded configuration for sessions opened from now on. Pools are never rebuilt (leases
  // live in them): hosts keep the pool of their network, and a network new to this process
  // gets a pool of its own. pool_conflict() first: "" or why `cfg` cannot be served.
  void reconfigure(std::shared_ptr<const Config> cfg);
  std::string pool_conflict(const Config& cfg) const;

  // A session's lease lives here, not in a worker: lease() creates the session on first use,
  // checks it may have a tunnel now and holds its addresses (GlobalProtect's getconfig needs
  // them before any tunnel); attach() gives it a TUN device and the worker that carries its
  // data (any worker: the HTTPS connection's, or one serving its datagrams); a reconnect
  // attaches a new worker and displaces the old one. open() is both, for AnyConnect's CONNECT.
  // On failure `refusal` says what to answer the client; a new session leaves nothing behind.
  // lease() returns the tunnel MTU for this client.
  Result<uint32_t> lease(const ipc::SessionOpenReply& who, const std::string& client_ip,
                         const ipc::SessionRequest& req, time_t now, Refusal* refusal);
  Result<TunnelGrant> attach(uint64_t sid, pid_t worker, const ipc::SessionRequest& req, uint32_t mtu,
                             time_t now, Refusal* refusal);
  Result<TunnelGrant> open(const ipc::SessionOpenReply& who, pid_t worker, const std::string& client_ip,
                           const ipc::SessionRequest& req, time_t now, Refusal* refusal);
  // The tunnel run by `worker` ended, or never began (then what the session took from the
  // user's detached session goes back to it). Logout frees the session now.
  // False: `worker` did not carry it (the session is gone, or another worker took it over).
  bool detach(uint64_t sid, pid_t worker, bool logout);
  // Session `sid`'s tunnel is up: the addresses it took from a detached session are its own.
  void settle(uint64_t sid);
  // sec-mod dropped the cookie (or an admin terminated it): free the session if no tunnel uses
  // it, forget the login if it never had one.
  void expire(uint64_t sid);
  // replace-same-clients: session `sid`'s tunnel is granted, so the sessions it replaces end
  // now (id, and the worker running its tunnel or -1): main ends their tunnels and cookies.
  struct Replaced {
    uint64_t id = 0;
    pid_t worker = -1;
  };
  std::vector<Replaced> take_replacing(uint64_t sid);

  // sec-mod issued a cookie: the login is listed until its first tunnel, logout or expiry.
  void note_login(Login login);

  const Session* find(uint64_t sid) const;
  // A connect-script's output (main/connect_output.hpp) over session `sid`'s settings: `p`'s
  // routes and name service again from them, for this tunnel. False: no such session.
  bool apply_connect_output(uint64_t sid, const ConnectOutput& out, ipc::TunnelParams& p) const;
  // A connect-script's iroute: a route to `net` into session `sid`'s device, kept among the
  // session's iroutes; `error` says why not.
  bool route_into(uint64_t sid, unsigned ifindex, const IpNet& net, std::string* error);
  std::vector<const Session*> all() const;
  std::vector<const Login*> logins() const;
  // Sessions, with a tunnel or without, and the logins that have not opened one yet.
  size_t count() const noexcept { return sessions_.size() + logins_.size(); }
  size_t leases_in_use() const;

 private:
  void release(Session& s);
  // The steps of open(): a new session's identity and settings; the checks a tunnel must pass;
  // its address leases; its TUN device; all of it as a grant.
  Result<void> init_session(Session& s, const ipc::SessionOpenReply& who, const std::string& client_ip,
                            time_t now, Refusal* refusal) const;
  Result<void> admit(Session& s, const std::string& client_ip, time_t now, Refusal* refusal);
  Result<void> choose_pools(Session& s, Refusal* refusal);
  Result<std::optional<ConnectOutput>> read_client_config(const Session& s, Refusal* refusal) const;
  Result<void> load_client_config(Session& s, Refusal* refusal) const;
  void fold_client_config(Session& s) const;
  Result<void> lease_addresses(Session& s, const ipc::SessionRequest& req, uint32_t mtu, Refusal* refusal);
  // An explicit address (a per-user file's, a client-config-dir's ifconfig-push, RADIUS's) from
  // s's pool; one the same user's detached session holds (its client gone without logging out,
  // its cookie alive) passes to `s`, as openvpn's newer connection of a client replaces the
  // older: that session, reconnecting, finds it taken.
  std::optional<IpAddr> acquire_explicit(Session& s, bool v6, const IpAddr& want);
  // replace-same-clients: the address (from s's pool) of a session s replaces passes to s, so the
  // user keeps the address (as openvpn's ifconfig-pool-persist gives a name its own), and a full
  // pool does not refuse the newer connection.
  std::optional<IpAddr> take_replaced(Session& s, bool v6);
  // replace-same-clients: the user's oldest connected sessions on s's host are marked replaced
  // (into s.replacing) so that s fits under max-same-clients, as openvpn without duplicate-cn
  // keeps the newest connection of a name; none when that would not be enough (then s is
  // refused). unreplace(): s got no tunnel, they stay as they were.
  void make_room(Session& s);
  void unreplace(Session& s);
  // s did not get its tunnel: what it took from a detached session goes back to that session.
  void give_back(Session& s);
  Result<TunDevice> setup_tun(const Session& s, uint32_t mtu, Refusal* refusal);

  // One host: its configuration and pools (shared by hosts with the same network).
  struct Host {
    std::shared_ptr<const Config> cfg;
    IpPool* v4 = nullptr;
    IpPool* v6 = nullptr;
  };
  // The host a session logged in to; null when a reload removed it (its cookies open nothing).
  const Host* host_for(const std::string& vhost) const;
  Host make_host(std::shared_ptr<const Config> cfg);

  uint32_t tunnel_mtu(const Session& s, const ipc::SessionRequest& req, bool client_ipv6) const;
  void add_name_service(ipc::TunnelParams& p, const Session& s, const ipc::UserSettings& us) const;
  void add_routes(ipc::TunnelParams& p, const Session& s, const ipc::UserSettings& us) const;
  ipc::TunnelParams params_for(const Session& s, const TunDevice& tun, uint32_t mtu, uint32_t base_mtu,
                               bool mobile, time_t now) const;
  size_t connected_sessions_of(const std::string& user, uint64_t except) const;

  TunNamer tun_names_;
  PoolSet pools_;
  std::vector<Host> hosts_;  // [0] the default host, then each [vhost:]
  Netlink netlink_;
  std::unordered_map<uint64_t, Session> sessions_;
  std::unordered_map<uint64_t, Login> logins_;  // bounded by kMaxLogins
  // Sessions ended as replaced, lately (bounded): a cookie open already under way for one of
  // them when sec-mod dropped it does not bring it back.
  std::deque<uint64_t> ended_replaced_;
};

}  // namespace sslvpn::mainproc
