// Address pools: one per network (and IPv6 lease size), shared by the hosts and by the users
// and groups whose files name the same network (ocserv's per-user 'ipv4-network'). Pools are
// never freed: sessions point into them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/ip_addr.hpp"
#include "main/ip_pool.hpp"

namespace sslvpn::mainproc {

class PoolSet {
 public:
  // The pool for `net` with leases of `client_prefix`, made on first use; null without a net.
  IpPool* get(const std::optional<IpNet>& net, uint8_t client_prefix, bool predictable);
  // The pool for a user's or group's own network, as get(); or null and *why, when that network
  // overlaps without being one that is in use (`in_use`: the hosts' and the sessions' pools) or
  // holds leases: one address could then be leased twice. An IPv6 lease size shorter than the
  // network is refused too.
  IpPool* for_user(const IpNet& net, uint8_t client_prefix, bool predictable, std::span<IpPool* const> in_use,
                   std::string* why);
  // "" or a pool (any, with leases or not) that `net` overlaps without being it.
  std::string overlapped(const IpNet& net, uint8_t client_prefix) const;
  size_t leases_in_use() const;

 private:
  IpPool* find(const IpNet& net, uint8_t client_prefix) const;

  std::vector<std::unique_ptr<IpPool>> pools_;
};

}  // namespace sslvpn::mainproc
