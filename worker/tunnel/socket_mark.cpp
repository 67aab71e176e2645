#include "worker/tunnel/socket_mark.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

namespace sslvpn::tunnel {

SocketMark::SocketMark(const ipc::TunnelParams& p) {
  if (p.has_ip_tos() && p.ip_tos() <= 0xff)
    tos_ = static_cast<int>(p.ip_tos());
  else if (p.has_socket_priority() && p.socket_priority() <= 6)
    priority_ = static_cast<int>(p.socket_priority());
}

void SocketMark::apply(int fd) const {
  if (fd < 0) return;
  if (priority_) (void)::setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &*priority_, sizeof(int));
  if (!tos_) return;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  bool v6 = ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_INET6;
  // An IPv6 socket may carry IPv4 (a mapped address): both markings.
  if (v6) (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &*tos_, sizeof(int));
  (void)::setsockopt(fd, IPPROTO_IP, IP_TOS, &*tos_, sizeof(int));
}

}  // namespace sslvpn::tunnel
