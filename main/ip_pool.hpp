// Address leases for one tunnel network (IPv4, or IPv6 in per-client subnets).
// The first host of the network is the server's own tunnel address; clients get the others.
// With predictable addresses a user tends to get the same address each time: the search for
// a free slot starts at a hash of the user name.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "common/ip_addr.hpp"

namespace sslvpn::mainproc {

class IpPool {
 public:
  // `client_prefix` is the size of each lease: 32 for IPv4, ipv6-subnet-prefix for IPv6.
  IpPool(IpNet network, uint8_t client_prefix, bool predictable);

  IpAddr server_address() const { return slot_address(0); }
  const IpNet& network() const noexcept { return net_; }
  uint8_t client_prefix() const noexcept { return client_prefix_; }

  // A free lease: `wanted` if it is free and in the pool, else one near hash(user).
  std::optional<IpAddr> acquire(std::string_view user, const std::optional<IpAddr>& wanted);
  // Exactly `a` (an address a login method assigned), if it is in the pool and free.
  std::optional<IpAddr> acquire_exact(const IpAddr& a);
  void release(const IpAddr& a);
  bool in_use(const IpAddr& a) const;
  size_t used() const noexcept { return used_.size(); }
  uint64_t capacity() const noexcept { return slots_; }

 private:
  bool per_host() const noexcept;
  IpAddr slot_address(uint64_t slot) const;
  std::optional<uint64_t> slot_of(const IpAddr& a) const;

  IpNet net_;
  uint8_t client_prefix_;
  bool predictable_;
  uint64_t slots_;  // slot 0 = the server; 1..slots_-1 = clients
  uint64_t next_ = 1;
  std::unordered_set<uint64_t> used_;
};

}  // namespace sslvpn::mainproc
