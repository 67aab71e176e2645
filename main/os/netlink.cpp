#include "main/os/netlink.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace sslvpn::mainproc {

// Our requests carry a header and two or three small attributes.
constexpr size_t kRequestSize = 512;

Netlink::Netlink() : sock_(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) {
  if (!sock_) throw std::runtime_error(std::string("netlink socket: ") + std::strerror(errno));
  if (mnl_socket_bind(sock_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    throw std::runtime_error(std::string("netlink bind: ") + std::strerror(errno));
  portid_ = mnl_socket_get_portid(sock_.get());
}

Result<void> Netlink::transact(nlmsghdr* nlh, std::string* error) {
  nlh->nlmsg_seq = seq_++;
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0) {
    *error = std::string("netlink send: ") + std::strerror(errno);
    return Errc::Io;
  }
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = std::string("netlink receive: ") + std::strerror(errno);
      return Errc::Io;
    }
    int r = mnl_cb_run(buf.data(), static_cast<size_t>(n), nlh->nlmsg_seq, portid_, nullptr, nullptr);
    if (r == MNL_CB_STOP) return {};  // the ACK (an error message with code 0)
    if (r < 0) {
      *error = std::string("netlink: ") + std::strerror(errno);
      return Errc::Io;
    }
  }
}

Result<void> Netlink::add_address(unsigned ifindex, const IpAddr& local, const IpAddr& peer, uint8_t prefix,
                                  std::string* error) {
  alignas(nlmsghdr) char buf[kRequestSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWADDR;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = static_cast<uint8_t>(local.family);
  ifa->ifa_prefixlen = prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = ifindex;
  if (local.family == AF_INET6) ifa->ifa_flags = IFA_F_NODAD;  // a tunnel has no duplicates to detect
  mnl_attr_put(nlh, IFA_LOCAL, local.size(), local.b.data());
  mnl_attr_put(nlh, IFA_ADDRESS, peer.size(), peer.b.data());
  return transact(nlh, error);
}

namespace {

// An RTM_NEWLINK request for an existing device, in `buf`; the caller adds what changes.
nlmsghdr* link_request(char* buf, unsigned ifindex, ifinfomsg** ifi_out) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(ifindex);
  *ifi_out = ifi;
  return nlh;
}

}  // namespace

Result<void> Netlink::set_link(unsigned ifindex, uint32_t mtu, bool up, std::string* error) {
  alignas(nlmsghdr) char buf[kRequestSize];
  ifinfomsg* ifi = nullptr;
  nlmsghdr* nlh = link_request(buf, ifindex, &ifi);
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = up ? IFF_UP : 0;
  mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  return transact(nlh, error);
}

Result<void> Netlink::no_ipv6_link_local(unsigned ifindex, std::string* error) {
  alignas(nlmsghdr) char buf[kRequestSize];
  ifinfomsg* ifi = nullptr;
  nlmsghdr* nlh = link_request(buf, ifindex, &ifi);
  nlattr* spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
  nlattr* inet6 = mnl_attr_nest_start(nlh, AF_INET6);
  mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
  mnl_attr_nest_end(nlh, inet6);
  mnl_attr_nest_end(nlh, spec);
  return transact(nlh, error);
}

Result<void> Netlink::add_route(unsigned ifindex, const IpNet& net, std::string* error) {
  alignas(nlmsghdr) char buf[kRequestSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWROUTE;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<uint8_t>(net.addr.family);
  rtm->rtm_dst_len = net.prefix;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put(nlh, RTA_DST, net.addr.size(), net.addr.b.data());
  mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
  return transact(nlh, error);
}

}  // namespace sslvpn::mainproc
