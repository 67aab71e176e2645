// Server: openvpn-status. Every interval main writes every tunnel in openvpn's status file
// format (main/openvpn_status.hpp) to a temporary file beside the configured one and renames
// it over that one, so a reader never sees half a file. A small local write, from the event
// loop; a failure is logged (at most once in 10 minutes) and tried again at the next interval.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

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

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

void Server::start_status_timer() {
  ev_timer_stop(loop_, &status_timer_);
  if (cfg().openvpn_status_file.empty()) return;
  double every = cfg().openvpn_status_interval;
  ev_timer_set(&status_timer_, 0., every);  // at once, then every interval
  ev_timer_start(loop_, &status_timer_);
}

void Server::status_cb(struct ev_loop*, ev_timer* w, int) {
  static_cast<Server*>(w->data)->write_openvpn_status();
}

void Server::write_openvpn_status() {
  const std::string& path = cfg().openvpn_status_file;
  if (path.empty()) return;
  std::vector<StatusClient> clients;
  for (const auto& [pid, w] : workers_) {
    if (w->phase != WorkerPhase::Tunnel) continue;
    const auto& p = w->params;
    StatusClient c;
    c.common_name = p.username();
    c.username = p.username().empty() || certificate_only(cfg().for_host(w->vhost)) ? "UNDEF" : p.username();
    c.real = status_real_address(w->client_ip, w->client_port);
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
  std::string text = format_openvpn_status(clients, time(nullptr), cfg().openvpn_status_version,
                                           std::string("sslvpnd ") + SSLVPND_VERSION);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
  bool ok = fd >= 0 && write_all(fd, text);
  int err = errno;
  if (fd >= 0) ::close(fd);
  ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) err = errno;
  if (ok) return;
  if (fd >= 0) ::unlink(tmp.c_str());
  time_t now = time(nullptr);
  if (status_failed_at_ != 0 && now - status_failed_at_ < kStatusWarnEvery) return;
  status_failed_at_ = now;
  log_.warn("openvpn-status: cannot write '", path, "': ", std::strerror(err),
            " (under the packaged systemd unit, a directory outside /run/sslvpnd, /var/lib/sslvpnd and "
            "/var/log/openvpn needs ReadWritePaths=)");
}

}  // namespace sslvpn::mainproc
