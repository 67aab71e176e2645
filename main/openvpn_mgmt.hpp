// openvpn's management interface (openvpn-management), the part that monitoring and admin tools
// use on a server (openvpn-monitor, web UIs, pfSense-style status pages): the welcome line, an
// optional password, and the commands help, version, pid, state, status [1|2|3], load-stats,
// kill CN|proto:IP:port, client-kill CID [MSG], hold and quit/exit, answered as openvpn 2.6 answers
// them (manage.c: "SUCCESS: ...", "ERROR: ...", multi-line answers ending in "END", lines
// ending in CRLF). Other commands get openvpn's "unknown command" error.
// ManagementSession is I/O-free: it takes the lines a client sent and returns what to send;
// main/openvpn_mgmt_io.cpp carries the bytes. Fuzzed by tests/fuzz/fuzz_openvpn_mgmt.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace sslvpn::mainproc {

inline constexpr int kManagementVersion = 5;        // openvpn 2.6's
inline constexpr int kManagementPasswordTries = 3;  // then the connection is closed, as openvpn does
inline constexpr size_t kMaxManagementLine = 1024;

// What the interface asks the server.
struct ManagementBackend {
  std::function<std::string(int version)> status;  // openvpn's status text (main/openvpn_status.hpp)
  std::function<std::string()> load_stats;         // "nclients=N,bytesin=X,bytesout=Y"
  std::function<std::string()> state;              // "TIME,CONNECTED,SUCCESS,10.8.0.1,,,,"
  // As openvpn's: kill ends the tunnels and the clients reconnect (their sessions stay, for
  // their login tokens); client-kill CID sends the client RESTART, or with a message starting
  // "HALT" ends it as `sslvpnctl disconnect` does (the client exits).
  std::function<uint32_t(const std::string& cn)> kill_cn;
  std::function<uint32_t(const std::string& ip, uint16_t port, bool tcp)> kill_addr;
  std::function<bool(uint64_t cid, bool halt)> kill_cid;
  std::string version_title;  // "OpenVPN Version: ..." line's text
  long pid = 0;
};

class ManagementSession {
 public:
  // `password` empty: none is asked for.
  ManagementSession(const ManagementBackend& backend, std::string password);

  // What to send as the client connects: the password prompt, or the welcome line.
  std::string greeting();
  // One line the client sent (without its line end): what to send back.
  std::string line(std::string_view text);
  // The client is to be disconnected once what it was sent has gone (quit, bad passwords).
  bool closing() const noexcept { return closing_; }
  bool verified() const noexcept { return verified_; }
  ~ManagementSession();
  ManagementSession(const ManagementSession&) = delete;
  ManagementSession& operator=(const ManagementSession&) = delete;

 private:
  std::string command(std::string_view text);
  std::string kill(const std::string& victim);

  const ManagementBackend& b_;
  std::string password_;
  bool verified_;
  int tries_ = 0;
  bool closing_ = false;
};

}  // namespace sslvpn::mainproc
