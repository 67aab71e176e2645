// IPFIX over DTLS (RFC 7011 10.4.2, nvm-dtls = true): one DTLS 1.2 session per exporter
// (address and port) on the collector's UDP sockets. The server's key stays in sec-mod: the
// credentials sign through it (worker/secmod_credentials). A new exporter must first return
// a stateless cookie (HelloVerifyRequest), so a spoofed source address costs us no session;
// sessions are bounded in number, in handshake time and in idle time, and handshakes in
// progress per address. With nvm-dtls-ca set,
// exporters must present a certificate that CA issued (mutual DTLS).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/gnutls_handles.hpp"
#include "common/result.hpp"
#include "worker/secmod_credentials.hpp"

namespace sslvpn::nvm {

struct DtlsCounters {
  uint64_t cookies_sent = 0;        // HelloVerifyRequests (no state kept)
  uint64_t handshakes = 0;          // sessions established
  uint64_t handshake_failures = 0;  // a failed or timed-out handshake (a refused certificate among them)
  uint64_t refused_no_room = 0;     // max_sessions reached
  uint64_t refused_half_open = 0;   // the address had max_half_open_per_address handshakes going
  uint64_t not_dtls = 0;            // datagrams from no session that were no ClientHello
};

// Where a datagram came from, and the local address it was sent to: replies go from that
// address (a wildcard socket would otherwise answer from the route's address, which an
// exporter inside a tunnel, sending to the server's other address, would not recognise).
struct UdpPeer {
  int fd = -1;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  sockaddr_storage local{};  // ss_family 0: not known (the kernel chooses)
};

// Sends `size` bytes to `p.addr` from `p.local` (IP_PKTINFO / IPV6_PKTINFO).
ssize_t send_reply(const UdpPeer& p, const void* data, size_t size);

class DtlsExporters {
 public:
  struct Settings {
    size_t max_sessions = 4096;
    // Handshakes in progress from one address (IPv6: its /64), whatever the ports: a host that
    // returns cookies and never finishes cannot fill the table nor spend sec-mod's signatures
    // for everyone (exporters behind one NAT still get this many at once).
    size_t max_half_open_per_address = 32;
    double handshake_timeout = 20;
    double idle_timeout = 1800;  // NVM sends at least its templates daily, flows far more often
  };
  using Deliver = std::function<void(std::span<const uint8_t> ipfix, const sockaddr_storage& from)>;

  // `ca_pem` empty: exporters are not asked for a certificate.
  static Result<std::unique_ptr<DtlsExporters>> create(const std::string& chain_pem,
                                                       const std::string& ca_pem,
                                                       worker::SecModClient& signer, Settings s,
                                                       std::string* error);
  ~DtlsExporters();
  DtlsExporters(const DtlsExporters&) = delete;
  DtlsExporters& operator=(const DtlsExporters&) = delete;

  // A datagram that arrived on `fd` from `from`; IPFIX messages it carried go to `deliver`.
  void on_datagram(const UdpPeer& from, std::span<const uint8_t> d, double now, const Deliver& deliver);
  // Retransmits handshake flights that are due and ends sessions past their time.
  void tick(double now);
  const DtlsCounters& counters() const noexcept { return c_; }
  size_t sessions() const noexcept { return peers_.size(); }

 private:
  struct Peer;
  DtlsExporters() = default;
  void start_session(const UdpPeer& from, std::span<const uint8_t> hello, void* prestate, double now,
                     const Deliver& deliver);
  // Drives the handshake or reads records; false: the session is over (erase it).
  bool step(Peer& p, double now, const Deliver& deliver);

  worker::ExternalKey key_;
  CertCredentialsHandle cred_;
  TlsPriorityHandle prio_;
  std::string cookie_key_;  // gnutls_key_generate'd, random per process
  bool require_cert_ = false;
  Settings s_;
  DtlsCounters c_;
  // Handshakes in progress per host (host_key: the IPv4 address, or the IPv6 /64); before
  // peers_, whose sessions release their count when they end.
  std::map<std::string, size_t> half_open_;
  std::map<std::string, std::unique_ptr<Peer>> peers_;  // by the sender's sockaddr bytes
  std::vector<uint8_t> rx_;                             // one decrypted record
};

}  // namespace sslvpn::nvm
