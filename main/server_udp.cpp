// Server: the UDP demux. Each UDP listener carries a classifier (main/udp/classifier.hpp) that
// decides, per datagram, from the bytes and main's tables alone: drop, or route to a live
// worker, which then gets a UDP socket connected to the sender with the datagram (a hello), or
// the datagram alone to check (a new port of a live path: the socket follows if it passed).
// Nothing is created for datagrams that name no live tunnel.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <gnutls/crypto.h>

#include <algorithm>

#include "main/listener.hpp"
#include "main/server.hpp"
#include "main/udp/udp_socket.hpp"

namespace sslvpn::mainproc {
namespace {

// At most one socket per tunnel per this many seconds: a flood of valid-looking hellos
// cannot make main churn sockets.
constexpr double kUdpHandoffInterval = 1.0;
// What may wait in a worker's channel for a path check to go: past it, checks are dropped (as
// a full socket buffer drops datagrams), far below the bound that ends the worker.
constexpr size_t kMaxPathCheckBacklog = 16384;

// The next UdpSocket.handoff; never 0 (SessionStats.moved_to_handoff = 0 means no move).
uint32_t next_handoff(WorkerProc& w) {
  if (++w.udp_handoffs == 0) ++w.udp_handoffs;
  return w.udp_handoffs;
}

// A whole DTLS record (or ESP packet) fits; anything larger is not ours.
constexpr size_t kMaxDatagram = 16384 + 256;

}  // namespace

void Server::open_udp(uint16_t port, const std::string& host, std::unique_ptr<udp::Classifier> (*make)()) {
  const char* name = "";
  for (auto& fd : open_udp_listeners(host, port, netns_.get())) {
    auto l = std::make_unique<UdpListener>();
    l->owner = this;
    l->port = port;
    l->fd = std::move(fd);
    l->classifier = make();
    name = l->classifier->name();
    ev_io_init(&l->io, &Server::udp_cb, l->fd.get(), EV_READ);
    l->io.data = l.get();
    ev_io_start(loop_, &l->io);
    udp_listeners_.push_back(std::move(l));
  }
  log_.info(name, " on UDP port ", port);
}

void Server::start_udp() {
  std::string host = cfg().udp_listen_host.empty() ? cfg().listen_host : cfg().udp_listen_host;
  if (cfg().udp_port != 0) open_udp(cfg().udp_port, host, &udp::make_dtls_classifier);
  if (cfg().globalprotect && cfg().gp_esp_port != 0)
    open_udp(cfg().gp_esp_port, host, &udp::make_esp_classifier);
  if (cfg().openvpn_udp_port != 0) open_openvpn_udp(cfg().openvpn_udp_port, host);
}

pid_t Server::worker_by_esp_spi(uint32_t spi) const {
  auto it = esp_spis_.find(spi);
  if (it == esp_spis_.end()) return -1;
  auto w = workers_.find(it->second);
  return w != workers_.end() && w->second->phase == WorkerPhase::Tunnel ? w->first : -1;
}

bool Server::has_datagram_path(pid_t worker) const {
  auto w = workers_.find(worker);
  return w != workers_.end() && !w->second->stats.dtls_cipher().empty();
}

uint32_t Server::fresh_esp_spi() const {
  for (int tries = 0; tries < 16; ++tries) {
    uint32_t spi = 0;
    if (gnutls_rnd(GNUTLS_RND_NONCE, &spi, sizeof spi) != 0) return 0;
    if (spi >= 256 && !esp_spis_.count(spi)) return spi;
  }
  return 0;
}

void Server::udp_cb(struct ev_loop*, ev_io* w, int) {
  auto* l = static_cast<UdpListener*>(w->data);
  l->owner->on_udp_readable(*l);
}

pid_t Server::worker_by_dtls_id(std::string_view id) const {
  auto it = dtls_ids_.find(std::string(id));
  if (it == dtls_ids_.end()) return -1;
  auto w = workers_.find(it->second);
  return w != workers_.end() && w->second->phase == WorkerPhase::Tunnel ? w->first : -1;
}

pid_t Server::only_dtls_worker_at(std::string_view ip) const {
  std::string key(ip);
  if (dtls_by_ip_.count(key) != 1) return -1;  // several tunnels from one address: ambiguous
  auto w = workers_.find(dtls_by_ip_.find(key)->second);
  return w != workers_.end() && w->second->phase == WorkerPhase::Tunnel ? w->first : -1;
}

void Server::on_udp_readable(UdpListener& l) {
  uint8_t buf[kMaxDatagram];
  for (int i = 0; i < 64; ++i) {  // bounded per wake-up
    auto d = recv_datagram(l.fd.get(), buf);
    if (!d.ok()) {
      if (d.error() == Errc::Timeout) return;
      continue;  // truncated or an error: drop
    }
    std::span<const uint8_t> bytes(buf, d->size);
    uint16_t port = 0;
    std::string ip = address_text(d->from, &port);
    if (l.ovpn) {
      on_openvpn_datagram(l, *d, ip, port, bytes);
      continue;
    }
    udp::Verdict v = l.classifier->classify(bytes, ip, *this);
    if (v.action != udp::Action::Route) continue;  // Drop; no listener starts workers yet
    auto w = workers_.find(v.worker);
    if (w == workers_.end()) continue;
    hand_udp_socket(*w->second, l, *d, ip, port, bytes, v.hello);
  }
}

bool Server::send_path_check(WorkerProc& w, const UdpListener& l, const Datagram& d, std::string peer,
                             std::span<const uint8_t> bytes) {
  // A full window waits for the worker's answers: this datagram is dropped, never an older one
  // (the real client's may be among them), and the client's next one gets its turn.
  // Others than the client's own address get 3/4 of the window and of the backlog.
  uint16_t from_port = 0;
  bool own = address_text(d.from, &from_port) == w.client_ip;
  size_t backlog = own ? kMaxPathCheckBacklog : kMaxPathCheckBacklog / 4 * 3;
  if (w.killed || !w.out || w.path_checks.full_for(own) || w.out->queued_bytes() > backlog) return false;
  ipc::MainToWorker m;
  m.mutable_udp_socket()->set_first_datagram(std::string(bytes.begin(), bytes.end()));
  m.mutable_udp_socket()->set_handoff(next_handoff(w));
  if (!send_to_worker(w, m)) return false;
  w.path_checks.add({w.udp_handoffs, std::move(peer), d, l.port});
  return true;
}

void Server::on_udp_moved(WorkerProc& w, uint32_t handoff) {
  auto taken = w.path_checks.take(handoff);
  if (!taken) return;  // not a datagram main passed it
  PathCheck c = std::move(*taken);
  bool ovpn = w.service == TcpService::OpenVpnUdp;
  // A datagram channel holds what it sends for the socket a passed check brings (ESP): without
  // one, it is told at once, so nothing waits for a socket that never comes.
  auto stay = [&] {
    if (ovpn) return;
    ipc::MainToWorker m;
    m.mutable_udp_socket()->set_handoff(handoff);
    m.mutable_udp_socket()->set_stay(true);
    (void)send_to_worker(w, m);
  };
  if (c.peer == (ovpn ? w.ovpn_peer : w.udp_peer)) return stay();  // already there
  // The address cannot be another client's: a datagram reaches a listener only when no socket
  // is connected to its exact four-tuple (the kernel prefers a connected socket), and the new
  // socket is bound to the address it came to. A client forging another's source address lands
  // in that client's worker, which drops what it cannot authenticate (test_openvpn case 12).
  auto sock = socket_for_sender(c.d, c.port, netns_.get());
  if (!sock.ok()) {
    log_.warn("cannot create a UDP socket for worker ", w.pid, "'s client at ", c.peer);
    return stay();
  }
  if (w.phase == WorkerPhase::Tunnel) enlarge_tunnel_rcvbuf(sock->get());
  ipc::MainToWorker m;
  m.mutable_udp_socket()->set_handoff(handoff);
  m.mutable_udp_socket()->set_verified(true);
  if (!send_to_worker(w, m, sock->get())) return;
  if (!ovpn) {
    w.udp_peer = c.peer;
    log_.debug("worker ", w.pid, ": its client's datagrams now come from ", w.udp_peer);
    return;
  }
  // The new address is this worker's: a cookie packet from it starts nothing new.
  ovpn_peers_.erase(w.ovpn_peer);
  w.ovpn_peer = c.peer;
  ovpn_peers_[w.ovpn_peer] = ev_now(loop_);
  log_.info("worker ", w.pid, ": its OpenVPN client floated to ", w.ovpn_peer);
}

void Server::hand_udp_socket(WorkerProc& w, const UdpListener& l, const Datagram& d, const std::string& ip,
                             uint16_t port, std::span<const uint8_t> bytes, bool hello) {
  // A record from a new port of the client's address (a NAT rebinding): anyone who knows the
  // address can send one, so the worker checks it before main makes a socket.
  if (!hello) {
    (void)send_path_check(w, l, d, ip + ":" + std::to_string(port), bytes);
    return;
  }
  // Two budgets: datagrams from the address the client's TLS connection came from, and from
  // any other. A flood of forged datagrams from spoofed addresses (the SPI or session id
  // travels in clear) cannot then keep the client's own new path from reaching its worker.
  double now = ev_now(loop_);
  double& last = ip == w.client_ip ? w.last_udp_handoff : w.last_udp_handoff_other;
  if (now - last < kUdpHandoffInterval) return;
  last = now;
  auto sock = socket_for_sender(d, l.port, netns_.get());
  if (!sock.ok()) {
    log_.warn("cannot create a UDP socket for worker ", w.pid);
    return;
  }
  if (w.phase == WorkerPhase::Tunnel) enlarge_tunnel_rcvbuf(sock->get());
  ipc::MainToWorker m;
  m.mutable_udp_socket()->set_first_datagram(std::string(bytes.begin(), bytes.end()));
  m.mutable_udp_socket()->set_client_hello(hello);
  m.mutable_udp_socket()->set_handoff(next_handoff(w));
  if (!send_to_worker(w, m, sock->get())) return;
  if (w.udp_peer.empty() && !w.dtls_id.empty()) dtls_by_ip_.emplace(w.client_ip, w.pid);
  w.udp_peer = ip + ":" + std::to_string(port);
  log_.debug("worker ", w.pid, ": ", l.name(), " from ", w.udp_peer,
             hello ? " (hello)" : " (new client port)");
}

}  // namespace sslvpn::mainproc
