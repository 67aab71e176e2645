// UDP sockets for DTLS: the shared listener main reads ClientHellos from, and per-client
// sockets bound to the same local address and port and connected to one client, so that the
// kernel delivers that client's datagrams straight to its worker.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "main/os/netns.hpp"

namespace sslvpn::mainproc {

// Listeners on host:port (every address when host is empty), receiving destination addresses.
// Throws std::runtime_error when nothing could be bound.
std::vector<UniqueFd> open_udp_listeners(const std::string& host, uint16_t port,
                                         const NetnsSockets* ns = nullptr);

struct Datagram {
  sockaddr_storage from{};
  socklen_t from_len = 0;
  sockaddr_storage to{};  // the local address it was sent to
  socklen_t to_len = 0;
  size_t size = 0;
};

// Reads one datagram into `buf`; Errc::Timeout when none is queued.
Result<Datagram> recv_datagram(int fd, std::span<uint8_t> buf);

// A socket for the client that sent `d` to a listener on `port`: bound to the address the
// client used, with the listener's port, and connected to the client.
Result<UniqueFd> socket_for_sender(const Datagram& d, uint16_t port, const NetnsSockets* ns = nullptr);

// The receive buffer of a tunnel's UDP socket (the kernel doubles it for its bookkeeping). The
// default (rmem_default, 208 kB) holds under a millisecond of a 1.5 Gbit/s tunnel: a worker that
// waits that long for a core loses datagrams, and the TCP inside slows down. Set with
// SO_RCVBUFFORCE (main has CAP_NET_ADMIN), so rmem_max does not cap it; only on the sockets of
// granted tunnels (authenticated clients): a login's keeps the default, so sockets waiting in
// the admission queue cannot take the host's UDP memory (udp_mem, shared by every socket). Only
// a cap: memory is taken while datagrams wait.
inline constexpr int kTunnelRcvbuf = 1 << 20;
void enlarge_tunnel_rcvbuf(int fd);

// A non-blocking UDP socket bound to `local` (with the listener's port) and connected to `peer`.
Result<UniqueFd> connected_udp_socket(const sockaddr_storage& local, socklen_t local_len,
                                      const sockaddr_storage& peer, socklen_t peer_len,
                                      const NetnsSockets* ns = nullptr);

}  // namespace sslvpn::mainproc
