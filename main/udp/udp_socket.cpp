#include "main/udp/udp_socket.hpp"

#include "main/listener.hpp"

#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sslvpn::mainproc {

std::vector<UniqueFd> open_udp_listeners(const std::string& host, uint16_t port, const NetnsSockets* ns) {
  // Per-client sockets bind the same address and port (bind_passive sets SO_REUSEADDR on
  // both sides); packet info tells which local address a datagram was sent to.
  return bind_passive(
      host, port, SOCK_DGRAM, "udp-listen-host",
      [](int fd, int family) {
        int one = 1;
        if (family == AF_INET6)
          ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
        else
          ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
      },
      ns);
}

Result<Datagram> recv_datagram(int fd, std::span<uint8_t> buf) {
  Datagram d;
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(in6_pktinfo))];
  msghdr mh{};
  mh.msg_name = &d.from;
  mh.msg_namelen = sizeof d.from;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cbuf;
  mh.msg_controllen = sizeof cbuf;
  ssize_t n = ::recvmsg(fd, &mh, MSG_DONTWAIT);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? Errc::Timeout : Errc::Io;
  if (mh.msg_flags & MSG_TRUNC) return Errc::Limit;
  d.size = static_cast<size_t>(n);
  d.from_len = mh.msg_namelen;
  // The local address: from the packet info, else the socket's own (bound to one address).
  d.to_len = sizeof d.to;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&d.to), &d.to_len);
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      reinterpret_cast<sockaddr_in*>(&d.to)->sin_addr = pi.ipi_addr;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      reinterpret_cast<sockaddr_in6*>(&d.to)->sin6_addr = pi.ipi6_addr;
    }
  }
  return d;
}

Result<UniqueFd> connected_udp_socket(const sockaddr_storage& local, socklen_t local_len,
                                      const sockaddr_storage& peer, socklen_t peer_len,
                                      const NetnsSockets* ns) {
  UniqueFd fd(make_socket(ns, local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Errc::Io;
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (local.ss_family == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), local_len) != 0) return Errc::Io;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&peer), peer_len) != 0) return Errc::Io;
  return fd;
}

void enlarge_tunnel_rcvbuf(int fd) {
  int rcvbuf = kTunnelRcvbuf;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
}

Result<UniqueFd> socket_for_sender(const Datagram& d, uint16_t port, const NetnsSockets* ns) {
  sockaddr_storage local = d.to;
  uint16_t port_be = htons(port);
  if (local.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&local)->sin_port = port_be;
  else
    reinterpret_cast<sockaddr_in6*>(&local)->sin6_port = port_be;
  return connected_udp_socket(local, d.to_len, d.from, d.from_len, ns);
}

}  // namespace sslvpn::mainproc
