// net-priority (ocserv's key): the worker marks each socket that carries the client's traffic,
// the stream and every datagram socket main hands it, with the IP TOS byte (and the IPv6
// traffic class) or else SO_PRIORITY. The worker's seccomp filter allows setsockopt for these
// options alone.
#pragma once

#include <cstdint>
#include <optional>

#include "ipc.pb.h"

namespace sslvpn::tunnel {

class SocketMark {
 public:
  explicit SocketMark(const ipc::TunnelParams& p);
  // Best effort, as ocserv: a socket that refuses keeps the default marking.
  void apply(int fd) const;

 private:
  std::optional<int> tos_;
  std::optional<int> priority_;  // 0-6: higher needs CAP_NET_ADMIN, which workers lack
};

}  // namespace sslvpn::tunnel
