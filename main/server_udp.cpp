// Server: the DTLS demux. Main reads datagrams that no per-client socket claimed, and hands a
// worker a UDP socket connected to its client when a ClientHello names its tunnel (or, after
// NAT rebinding, when a record arrives from its client's address on a new port). Nothing is
// created for datagrams that name no live tunnel.
#include <arpa/inet.h>
#include <netinet/in.h>

#include "main/listener.hpp"
#include "main/server.hpp"
#include "main/udp/dtls_hello.hpp"
#include "main/udp/udp_socket.hpp"

namespace sslvpn::mainproc {
namespace {

// At most one socket per tunnel per this many seconds: a flood of valid-looking hellos
// cannot make main churn sockets.
constexpr double kUdpHandoffInterval = 1.0;
// A whole DTLS record fits; anything larger is not ours.
constexpr size_t kMaxDatagram = 16384 + 256;

}  // namespace

void Server::start_udp() {
  if (cfg().udp_port == 0) return;
  std::string host = cfg().udp_listen_host.empty() ? cfg().listen_host : cfg().udp_listen_host;
  udp_listeners_ = open_udp_listeners(host, cfg().udp_port);
  udp_io_.resize(udp_listeners_.size());
  for (size_t i = 0; i < udp_listeners_.size(); ++i) {
    ev_io_init(&udp_io_[i], &Server::udp_cb, udp_listeners_[i].get(), EV_READ);
    udp_io_[i].data = this;
    ev_io_start(loop_, &udp_io_[i]);
  }
  log_.info("DTLS on UDP port ", cfg().udp_port);
}

void Server::udp_cb(struct ev_loop*, ev_io* w, int) {
  static_cast<Server*>(w->data)->on_udp_readable(w->fd);
}

void Server::on_udp_readable(int fd) {
  uint8_t buf[kMaxDatagram];
  for (int i = 0; i < 64; ++i) {  // bounded per wake-up
    auto d = recv_datagram(fd, buf);
    if (!d.ok()) {
      if (d.error() == Errc::Timeout) return;
      continue;  // truncated or an error: drop
    }
    std::span<const uint8_t> bytes(buf, d->size);
    auto info = parse_dtls_datagram(bytes);
    if (!info.ok()) continue;  // not DTLS: silently dropped
    uint16_t port = 0;
    std::string ip = address_text(d->from, &port);
    WorkerProc* target = nullptr;
    if (info->client_hello) {
      auto it = dtls_ids_.find(info->session_id);
      if (it == dtls_ids_.end()) continue;
      auto w = workers_.find(it->second);
      if (w != workers_.end() && w->second->phase == WorkerPhase::Tunnel) target = w->second.get();
    } else if (info->content_type == kDtlsApplicationData) {
      // NAT rebinding: the only DTLS tunnel of this client address gets the new port
      // (several tunnels from one address are ambiguous: nobody gets it).
      if (dtls_by_ip_.count(ip) != 1) continue;
      auto w = workers_.find(dtls_by_ip_.find(ip)->second);
      if (w != workers_.end() && w->second->phase == WorkerPhase::Tunnel) target = w->second.get();
    }
    if (target == nullptr) continue;
    hand_udp_socket(*target, *d, bytes, info->client_hello);
  }
}

void Server::hand_udp_socket(WorkerProc& w, const Datagram& d, std::span<const uint8_t> bytes, bool hello) {
  double now = ev_now(loop_);
  if (now - w.last_udp_handoff < kUdpHandoffInterval) return;
  w.last_udp_handoff = now;
  // The per-client socket binds the port the listener has, on the address the client used.
  sockaddr_storage local = d.to;
  uint16_t port_be = htons(cfg().udp_port);
  if (local.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&local)->sin_port = port_be;
  else
    reinterpret_cast<sockaddr_in6*>(&local)->sin6_port = port_be;
  auto sock = connected_udp_socket(local, d.to_len, d.from, d.from_len);
  if (!sock.ok()) {
    log_.warn("cannot create a UDP socket for worker ", w.pid);
    return;
  }
  uint16_t port = 0;
  std::string ip = address_text(d.from, &port);
  ipc::MainToWorker m;
  m.mutable_udp_socket()->set_first_datagram(std::string(bytes.begin(), bytes.end()));
  m.mutable_udp_socket()->set_client_hello(hello);
  if (!send_to_worker(w, m, sock->get())) return;
  if (w.udp_peer.empty()) dtls_by_ip_.emplace(w.client_ip, w.pid);
  w.udp_peer = ip + ":" + std::to_string(port);
  log_.debug("worker ", w.pid, ": UDP from ", w.udp_peer, hello ? " (DTLS hello)" : " (new client port)");
}

}  // namespace sslvpn::mainproc
