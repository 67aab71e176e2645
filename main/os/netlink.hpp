// A typed wrapper over rtnetlink (libmnl) for what main does to TUN devices: addresses,
// MTU, link state. Requests are synchronous: the kernel answers at once.
#pragma once

#include <libmnl/libmnl.h>

#include <cstdint>
#include <string>

#include "common/ip_addr.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace sslvpn::mainproc {

class Netlink {
 public:
  // Throws std::runtime_error at startup if rtnetlink cannot be opened.
  Netlink();

  // A point-to-point address: `local` on our side, `peer`/`prefix` routed to the device.
  Result<void> add_address(unsigned ifindex, const IpAddr& local, const IpAddr& peer, uint8_t prefix,
                           std::string* error);
  Result<void> set_link(unsigned ifindex, uint32_t mtu, bool up, std::string* error);
  // Before the link comes up: the kernel makes no IPv6 link-local address (nor its fe80::/64
  // and local routes) for the device. For sessions without IPv6.
  Result<void> no_ipv6_link_local(unsigned ifindex, std::string* error);
  // A route to `net` through the device (iroute: a network behind the client). It goes away
  // with the device.
  Result<void> add_route(unsigned ifindex, const IpNet& net, std::string* error);

 private:
  Result<void> transact(nlmsghdr* nlh, std::string* error);

  CHandle<mnl_socket, mnl_socket_close> sock_;
  uint32_t portid_ = 0;
  uint32_t seq_ = 1;
};

}  // namespace sslvpn::mainproc
