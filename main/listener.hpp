// TCP listening sockets for tcp-port on listen-host (or every address, IPv6 and IPv4).
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "main/os/netns.hpp"

namespace sslvpn::mainproc {

// Throws std::runtime_error with the reason when nothing could be bound.
// `ns`: listen-netns (null: main's own namespace).
std::vector<UniqueFd> open_listeners(const std::string& host, uint16_t port,
                                     const NetnsSockets* ns = nullptr);

// What a listener serves. Https: the one TLS front for every HTTPS protocol (AnyConnect,
// GlobalProtect); the worker routes the first request. OpenVPN over TCP is a service of its own,
// on its own port; OpenVPN over UDP starts a worker on a socket main connected to the client
// once the stateless handshake is done (main/udp/openvpn_stateless.hpp).
enum class TcpService : uint8_t { Https, OpenVpnTcp, OpenVpnUdp };

// What main's stateless OpenVPN handshake tells the worker it starts.
struct OvpnUdpStart {
  std::string client_sid, server_sid;  // 8 bytes each
  std::string first_packet;
  uint32_t wrap_time = 0;
  std::string client_key;  // tls-crypt-v2: the client's key Kc (UDP and TCP)
  std::string metadata;    // tls-crypt-v2: its metadata
};

struct TcpListener {
  UniqueFd fd;
  TcpService service = TcpService::Https;
};

// Creates a socket of `socktype` for every passive address of host:port (every address when
// host is empty), lets `setup` prepare it (setsockopt), binds it, and returns those that bound.
// Throws std::runtime_error naming `what` when none did.
std::vector<UniqueFd> bind_passive(const std::string& host, uint16_t port, int socktype, const char* what,
                                   void (*setup)(int fd, int family), const NetnsSockets* ns = nullptr);

// "1.2.3.4" / "2001:db8::1" (v4-mapped v6 shown as v4) and the port of a socket address.
std::string address_text(const sockaddr_storage& ss, uint16_t* port);

}  // namespace sslvpn::mainproc
