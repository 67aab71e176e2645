// Server: openvpn-status and openvpn-management. Every interval main writes every tunnel in
// openvpn's status file format (main/openvpn_status.hpp) over the configured file, in place as
// openvpn does. A small local write, from the event loop; a failure is logged (at most once in
// 10 minutes) and tried again at the next interval. The management interface's backend (what
// main/openvpn_mgmt.hpp asks) is built here too.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "common/secret_bytes.hpp"
#include "common/text.hpp"
#include "main/openvpn_status.hpp"
#include "main/server.hpp"
#include "main/worker_ids.hpp"

namespace sslvpn::mainproc {
namespace {

constexpr time_t kStatusWarnEvery = 600;

// The data channel's cipher: OpenVPN's from its label ("OpenVPN UDP, AES-256-GCM, control
// ..."), the others' from the last "(...)" of their DTLS/ESP or TLS description.
std::string data_cipher(const ipc::SessionStats& st, ipc::Protocol p) {
  const std::string& tls = st.tls_cipher();
  if (p == ipc::OPENVPN) {
    size_t a = tls.find(", ");
    size_t b = a == std::string::npos ? a : tls.find(',', a + 2);
    return a == std::string::npos ? "UNDEF" : tls.substr(a + 2, b == std::string::npos ? b : b - a - 2);
  }
  const std::string& d = st.dtls_cipher().empty() ? tls : st.dtls_cipher();
  size_t open = d.rfind('('), close = d.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return d.empty() ? "UNDEF" : d;
  return d.substr(open + 1, close - open - 1);
}

// openvpn writes "UNDEF" as the user name of a client that gave none: here, one that logged in
// where the certificate alone logs in.
bool certificate_only(const Config& cfg) {
  return std::all_of(cfg.auth_chains.begin(), cfg.auth_chains.end(),
                     [](const AuthChain& a) { return a.certificate && !a.password; });
}

// Where a client is now: an OpenVPN client over UDP may have floated to another address.
std::pair<std::string, uint16_t> current_address(const WorkerProc& w) {
  if (size_t bar = w.ovpn_peer.find('|'); bar != std::string::npos) {
    unsigned long port = std::strtoul(w.ovpn_peer.c_str() + bar + 1, nullptr, 10);
    return {w.ovpn_peer.substr(0, bar), static_cast<uint16_t>(port)};
  }
  return {w.client_ip, w.client_port};
}

bool pwrite_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

void Server::start_status_timer() {
  ev_timer_stop(loop_, &status_timer_);
  status_failed_at_ = 0;  // a new path gets its own warning
  if (cfg().openvpn_status_file.empty()) return;
  double every = cfg().openvpn_status_interval;
  ev_timer_set(&status_timer_, 0., every);  // at once, then every interval
  ev_timer_start(loop_, &status_timer_);
}

void Server::status_cb(struct ev_loop*, ev_timer* w, int) {
  static_cast<Server*>(w->data)->write_openvpn_status();
}

std::vector<StatusClient> Server::status_clients() const {
  std::vector<StatusClient> clients;
  for (const auto& [pid, w] : workers_) {
    if (w->phase != WorkerPhase::Tunnel) continue;
    const auto& p = w->params;
    StatusClient c;
    c.common_name = p.username();
    c.username = p.username().empty() || certificate_only(cfg().for_host(w->vhost)) ? "UNDEF" : p.username();
    auto [ip, port] = current_address(*w);
    c.real = status_real_address(ip, port);
    c.vip4 = p.ipv4_address();
    c.vip6 = p.ipv6_address();
    c.bytes_received = w->stats.bytes_in();
    c.bytes_sent = w->stats.bytes_out();
    c.connected_since = w->tunnel_start;
    c.client_id = w->id;
    if (w->request.protocol() == ipc::OPENVPN) c.peer_id = peer_id_of(w->id);
    c.cipher = data_cipher(w->stats, w->request.protocol());
    if (const Session* s = sessions_.find(w->session_id))
      for (const auto& r : s->settings.iroutes()) c.iroutes.push_back(r);
    clients.push_back(std::move(c));
  }
  return clients;
}

void Server::write_openvpn_status() {
  const std::string& path = cfg().openvpn_status_file;
  if (path.empty()) return;
  std::vector<StatusClient> clients = status_clients();
  std::string text = format_openvpn_status(clients, time(nullptr), cfg().openvpn_status_version,
                                           std::string("OpenVPN 2.6 compatible, sslvpnd ") + SSLVPND_VERSION);
  // Written in place, as openvpn writes it (the file keeps its inode, owner and mode), and never
  // through a link or into anything but a regular file of root's.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
  int err = errno;
  struct stat st {};
  bool ok = fd >= 0 && ::fstat(fd, &st) == 0;
  if (ok && (!S_ISREG(st.st_mode) || st.st_uid != 0 || st.st_nlink != 1)) {
    ok = false;
    err = EPERM;
  }
  if (ok) {
    ok = pwrite_all(fd, text) && ::ftruncate(fd, static_cast<off_t>(text.size())) == 0;
    if (!ok) err = errno;
  }
  if (fd >= 0) ::close(fd);
  if (ok) return;
  time_t now = time(nullptr);
  if (status_failed_at_ != 0 && now - status_failed_at_ < kStatusWarnEvery) return;
  status_failed_at_ = now;
  log_.warn("openvpn-status: cannot write '", path,
            "': ", err == EPERM ? "not a regular file of root's with one link" : std::strerror(err),
            " (under the packaged systemd unit, a directory outside /run/sslvpnd, /var/lib/sslvpnd and "
            "/var/log/openvpn needs ReadWritePaths=)");
}

ManagementBackend Server::management_backend() {
  ManagementBackend b;
  b.version_title = std::string("OpenVPN 2.6 management, sslvpnd ") + SSLVPND_VERSION;
  b.pid = static_cast<long>(::getpid());
  b.status = [this](int version) {
    return format_openvpn_status(status_clients(), time(nullptr), version,
                                 std::string("OpenVPN 2.6 compatible, sslvpnd ") + SSLVPND_VERSION);
  };
  b.load_stats = [this] {
    uint64_t n = 0, in = closed_rx_, out = closed_tx_;
    for (const auto& [pid, w] : workers_) {
      if (w->phase != WorkerPhase::Tunnel) continue;
      ++n;
      in += w->stats.bytes_in();
      out += w->stats.bytes_out();
    }
    return "nclients=" + std::to_string(n) + ",bytesin=" + std::to_string(in) +
           ",bytesout=" + std::to_string(out);
  };
  b.state = [this] {
    // As openvpn's server: the time it came up, CONNECTED, and its tunnel address.
    std::string local;
    for (const auto& [pid, w] : workers_)
      if (w->phase == WorkerPhase::Tunnel && !w->params.ipv4_local().empty()) local = w->params.ipv4_local();
    return std::to_string(static_cast<unsigned>(up_since_)) + ",CONNECTED,SUCCESS," + local + ",,,,\n";
  };
  // openvpn's kill: the tunnels end, the clients are told to reconnect (RESTART) and come back
  // into their sessions; HALT: as sslvpnctl disconnect.
  auto end = [this](ctl::Select sel, bool halt = false) {
    if (halt) {
      ctl::CtlReply r = ctl_end(sel, false);
      return r.ok() ? r.affected() : 0u;
    }
    return restart_tunnels(sel);
  };
  b.kill_cn = [end](const std::string& cn) {
    ctl::Select sel;
    sel.set_user(cn);
    return end(sel);
  };
  b.kill_cid = [end](uint64_t cid, bool halt) {
    ctl::Select sel;
    sel.set_id(cid);
    return end(sel, halt) > 0;
  };
  b.kill_addr = [this, end](const std::string& ip, uint16_t port, bool tcp) {
    std::vector<uint64_t> ids;
    auto want = parse_ip(ip);
    if (!want) return 0u;
    for (const auto& [pid, w] : workers_) {
      if (w->phase != WorkerPhase::Tunnel) continue;
      if (w->service != (tcp ? TcpService::OpenVpnTcp : TcpService::OpenVpnUdp)) continue;
      auto [now_ip, now_port] = current_address(*w);
      auto have = parse_ip(now_ip);
      if (have && *have == *want && now_port == port) ids.push_back(w->id);
    }
    uint32_t n = 0;
    for (uint64_t id : ids) {
      ctl::Select sel;
      sel.set_id(id);
      n += end(sel);
    }
    return n;
  };
  return b;
}

uint32_t Server::restart_tunnels(const ctl::Select& sel) {
  uint32_t n = 0;
  for (auto& [pid, w] : workers_) {
    if (w->phase != WorkerPhase::Tunnel || w->killed || !selected(*w, sel)) continue;
    ipc::MainToWorker m;
    m.mutable_terminate()->set_reason("killed through openvpn-management");
    m.mutable_terminate()->set_tell_client(false);  // RESTART: reconnect into the session
    if (!send_to_worker(*w, m)) continue;           // being ended already
    ++n;
  }
  if (n > 0)
    log_.info("openvpn-management: ", n, n == 1 ? " tunnel" : " tunnels", " killed; clients reconnect");
  return n;
}

void Server::open_management() {
  if (cfg().openvpn_management.empty()) return;
  std::string password;
  if (!cfg().openvpn_management_password_file.empty())
    password = read_management_password(cfg().openvpn_management_password_file);
  const std::string& where = cfg().openvpn_management;
  management_ =
      std::make_unique<ManagementServer>(loop_, log_, where, std::move(password), management_backend());
  bool unix_socket = where.ends_with(" unix");
  log_.info("openvpn-management on ", where,
            cfg().openvpn_management_password_file.empty() ? "" : " (with a password)");
  if (!unix_socket && cfg().openvpn_management_password_file.empty())
    log_.warn(
        "openvpn-management on TCP without a password: every local user can list and disconnect "
        "sessions (as with openvpn's); give it a password file, or a Unix socket");
}

}  // namespace sslvpn::mainproc
