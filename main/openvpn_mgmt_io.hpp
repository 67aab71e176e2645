// openvpn-management's sockets: a TCP listener (openvpn's "management IP PORT"; a network
// address needs a password) or a Unix socket (mode 0600), each connection a ManagementSession
// (main/openvpn_mgmt.hpp). Main never waits on a client, and a client cannot make main hold
// much: its socket is non-blocking; while more than kManagementHighWater of answers wait, main
// neither reads from it nor answers its next lines; a line longer than kMaxManagementLine drops
// it; at most kMaxManagementClients at once (the oldest not logged in gives way to a new one);
// a client not logged in after kManagementLoginSeconds, or silent for kManagementIdleSeconds,
// is closed; wrong passwords are logged, and after kManagementFailuresPerMinute of them within a
// minute (for the whole interface) no password is compared, right or wrong, until that minute
// has passed: a client that gives one is told so and closed.
#pragma once

#include <ev.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "main/openvpn_mgmt.hpp"

namespace sslvpn::mainproc {

inline constexpr size_t kMaxManagementClients = 8;
inline constexpr size_t kManagementHighWater = 1 << 20;
inline constexpr double kManagementLoginSeconds = 30;
inline constexpr double kManagementIdleSeconds = 600;
inline constexpr int kManagementFailuresPerMinute = 10;

// The password of openvpn-management's password file: its first line (as openvpn reads it).
// Throws std::runtime_error when the file cannot be read or that line is empty. Used at start
// and by sslvpnd -t.
std::string read_management_password(const std::string& file);

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
    double since = 0, last = 0;  // connected; last line
  };
  static void accept_cb(struct ev_loop*, ev_io* w, int);
  static void client_cb(struct ev_loop*, ev_io* w, int revents);
  static void tick_cb(struct ev_loop*, ev_timer* w, int);
  void on_accept(int listen_fd);
  // False when the client is gone (dropped).
  bool on_readable(Client& c);
  bool answer_lines(Client& c);
  bool flush(Client& c);
  void drop(Client& c);
  void rearm(Client& c);
  void pause_accepting(bool pause);
  bool locked_out() const noexcept {
    return static_cast<int>(failures_.size()) >= kManagementFailuresPerMinute;
  }

  struct ev_loop* loop_;
  Logger& log_;
  std::string password_;
  ManagementBackend backend_;
  std::string unix_path_;  // removed at the end, if it is still the socket bound
  dev_t unix_dev_ = 0;
  ino_t unix_ino_ = 0;
  ev_timer tick_{};  // timeouts, and accepting again after running out of descriptors
  bool accept_paused_ = false;
  std::vector<double> failures_;  // wrong passwords in the last minute (at most the limit)
  std::vector<UniqueFd> listeners_;
  std::vector<ev_io> accept_io_;
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace sslvpn::mainproc
