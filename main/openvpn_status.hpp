// openvpn's status file (--status FILE, --status-version 1|2|3), as openvpn 2.6's server writes
// it (multi.c's multi_print_status), so that what reads it (openvpn_exporter, monitoring
// scripts, openvpn-status parsers) keeps working after a move to sslvpnd: a CLIENT_LIST line per
// session, of every protocol, and a ROUTING_TABLE line per address and iroute routed to it.
// A pure function of its input; main writes the text (Server::write_openvpn_status).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

namespace sslvpn::mainproc {

struct StatusClient {
  std::string common_name;  // the session's user
  std::string username;     // the login name given with a password ("UNDEF" for certificate logins)
  std::string real;         // "203.0.113.2:45885", "[2001:db8::2]:45885"
  std::string vip4, vip6;   // its tunnel addresses ("" when none)
  uint64_t bytes_received = 0, bytes_sent = 0;
  time_t connected_since = 0;
  uint64_t client_id = 0;
  uint32_t peer_id = 0xffffff;       // openvpn's MAX_PEER_ID for a session that has none
  std::string cipher;                // the data channel's
  std::vector<std::string> iroutes;  // networks behind it ("192.168.5.0/24")
};

inline constexpr uint32_t kNoPeerId = 0xffffff;

// The file's text for `version` 1, 2 (comma-separated) or 3 (tab-separated), at `now` (local
// time, as openvpn prints it). Separators and control characters in names become '_'.
std::string format_openvpn_status(const std::vector<StatusClient>& clients, time_t now, int version,
                                  const std::string& title);

// "[host]:port" for IPv6, "host:port" for IPv4, as openvpn prints a real address.
std::string status_real_address(const std::string& ip, uint16_t port);

}  // namespace sslvpn::mainproc
