#include "main/udp/udp_socket.hpp"

#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sslvpn::mainproc {

std::vector<UniqueFd> open_udp_listeners(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int r = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (r != 0) throw std::runtime_error("udp-listen-host '" + host + "': " + gai_strerror(r));
  std::vector<UniqueFd> out;
  std::string last_error;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) continue;
    int one = 1;
    // Per-client sockets bind the same address and port: both sides need SO_REUSEADDR.
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) {
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    } else {
      ::setsockopt(fd.get(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    }
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    out.push_back(std::move(fd));
  }
  ::freeaddrinfo(res);
  if (out.empty())
    throw std::runtime_error("cannot listen on UDP " + (host.empty() ? std::string("*") : host) + ":" +
                             service + ": " + last_error);
  return out;
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
                                      const sockaddr_storage& peer, socklen_t peer_len) {
  UniqueFd fd(::socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Errc::Io;
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (local.ss_family == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), local_len) != 0) return Errc::Io;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&peer), peer_len) != 0) return Errc::Io;
  return fd;
}

}  // namespace sslvpn::mainproc
