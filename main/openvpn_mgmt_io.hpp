// openvpn-management's sockets: a TCP listener (openvpn's "management IP PORT", which should be
// a loopback address) or a Unix socket (mode 0600), each connection a ManagementSession
// (main/openvpn_mgmt.hpp). Main never waits on a client: its socket is non-blocking, what it
// cannot take waits in a queue of at most kMaxManagementQueue, beyond which the client is
// dropped; a line longer than kMaxManagementLine drops it too; at most kMaxManagementClients at
// once (openvpn serves one).
#pragma once

#include <ev.h>

#include <memory>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "main/openvpn_mgmt.hpp"

namespace sslvpn::mainproc {

inline constexpr size_t kMaxManagementClients = 8;
inline constexpr size_t kMaxManagementQueue = 16 << 20;

class ManagementServer {
 public:
  // Listens on `where`: "IP PORT" (TCP) or "PATH unix". Throws std::runtime_error.
  ManagementServer(struct ev_loop* loop, Logger& log, const std::string& where, std::string password,
                   ManagementBackend backend);
  ~ManagementServer();
  ManagementServer(const ManagementServer&) = delete;
  ManagementServer& operator=(const ManagementServer&) = delete;

 private:
  struct Client {
    ManagementServer* owner = nullptr;
    UniqueFd fd;
    ev_io io{};
    std::string in, out;
    std::unique_ptr<ManagementSession> session;
  };
  static void accept_cb(struct ev_loop*, ev_io* w, int);
  static void client_cb(struct ev_loop*, ev_io* w, int revents);
  void on_accept(int listen_fd);
  // False when the client is gone (dropped).
  bool on_readable(Client& c);
  bool flush(Client& c);
  void drop(Client& c);
  void rearm(Client& c);

  struct ev_loop* loop_;
  Logger& log_;
  std::string password_;
  ManagementBackend backend_;
  std::string unix_path_;  // removed at the end
  std::vector<UniqueFd> listeners_;
  std::vector<ev_io> accept_io_;
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace sslvpn::mainproc
