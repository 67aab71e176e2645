// Server: OpenVPN's listeners. Over TCP a connection is served like an HTTPS one (its worker
// does the whole handshake). Over UDP main does the stateless half first
// (main/udp/openvpn_stateless.hpp): resets are answered without state, at a bounded rate, and
// only a packet returning a valid cookie starts a worker, on a UDP socket connected to that
// client, through the same bans, max-clients and login admission as a TCP connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gnutls/crypto.h>

#include <algorithm>
#include <unordered_set>

#include "main/server.hpp"
#include "main/udp/udp_socket.hpp"
#include "worker/openvpn/tls_crypt_v2.hpp"

namespace sslvpn::mainproc {
namespace {

// A peer main started a worker for: later cookie packets from it start nothing for this long
// (its worker's connected socket takes its packets over almost at once).
constexpr double kPeerHold = 30;

ipc::OpenVpnStartup::Wrap wrap_kind(const Config& c) {
  if (!c.openvpn_tls_crypt_v2.empty()) return ipc::OpenVpnStartup::TLS_CRYPT_V2;
  if (!c.openvpn_tls_crypt.empty()) return ipc::OpenVpnStartup::TLS_CRYPT;
  if (!c.openvpn_tls_auth.empty()) return ipc::OpenVpnStartup::TLS_AUTH;
  return ipc::OpenVpnStartup::NONE;
}

}  // namespace

ovpn::WrapKeys Server::openvpn_wrap_keys() const {
  switch (wrap_kind(cfg())) {
    case ipc::OpenVpnStartup::TLS_CRYPT:
      return ovpn::tls_crypt_keys(s_.openvpn_wrap_key);
    case ipc::OpenVpnStartup::TLS_AUTH: {
      int d = cfg().openvpn_tls_auth_direction;
      return ovpn::tls_auth_keys(
          s_.openvpn_wrap_key,
          d < 0    ? ovpn::KeyDirection::Bidirectional
          : d == 0 ? ovpn::KeyDirection::Normal
                   : ovpn::KeyDirection::Inverse,
          ovpn::auth_digest_from_name(cfg().openvpn_auth).value_or(ovpn::AuthDigest::Sha1));
    }
    default:
      return {};
  }
}

void Server::open_openvpn_udp(uint16_t port, const std::string& host) {
  std::array<uint8_t, 32> secret{};
  if (gnutls_rnd(GNUTLS_RND_RANDOM, secret.data(), secret.size()) != 0)
    throw std::runtime_error("cannot make the OpenVPN cookie secret");
  // One memory of old tls-crypt-v2 clients' resets for the port's IPv4 and IPv6 listeners.
  auto old_clients =
      cfg().openvpn_tls_crypt_v2_force_cookie ? nullptr : std::make_shared<udp::OldClientResets>();
  for (auto& fd : open_udp_listeners(host, port, netns_.get())) {
    auto l = std::make_unique<UdpListener>();
    l->owner = this;
    l->port = port;
    l->fd = std::move(fd);
    l->ovpn =
        std::make_unique<udp::OvpnStateless>(secret, openvpn_wrap_keys(), 60, s_.openvpn_v2_key, old_clients);
    ev_io_init(&l->io, &Server::udp_cb, l->fd.get(), EV_READ);
    l->io.data = l.get();
    ev_io_start(loop_, &l->io);
    udp_listeners_.push_back(std::move(l));
  }
  log_.info("OpenVPN on UDP port ", port);
}

void Server::fill_openvpn_startup(const WorkerProc& w, ipc::WorkerStartup& st) const {
  const Config& c = cfg();
  auto* o = st.mutable_openvpn();
  o->set_tcp(w.service == TcpService::OpenVpnTcp);
  o->set_wrap(wrap_kind(c));
  o->set_wrap_key(s_.openvpn_wrap_key);
  if (o->wrap() == ipc::OpenVpnStartup::TLS_CRYPT_V2) {
    // The worker gets its client's own key only: it cannot open other clients' keys.
    o->set_wrap_key(w.ovpn_udp ? w.ovpn_udp->client_key : std::string());
    o->set_client_key_metadata(w.ovpn_udp ? w.ovpn_udp->metadata : std::string());
  }
  o->set_key_direction(c.openvpn_tls_auth_direction);
  o->set_auth_digest(c.openvpn_auth);
  o->set_data_ciphers(c.openvpn_data_ciphers);
  o->set_reneg_sec(c.openvpn_reneg_sec);
  if (w.ovpn_udp) {
    o->set_client_sid(w.ovpn_udp->client_sid);
    o->set_server_sid(w.ovpn_udp->server_sid);
    o->set_first_packet(w.ovpn_udp->first_packet);
    o->set_wrap_time(w.ovpn_udp->wrap_time);
  }
  st.clear_tls_ticket_key();  // openvpn clients do not resume TLS sessions
}

std::optional<OvpnUdpStart> Server::openvpn_tcp_client_key(int fd) const {
  // The listener defers accept until data is there (TCP_DEFER_ACCEPT): the client's first
  // packet, a HARD_RESET_CLIENT_V3 of about 400 bytes, is whole in one segment.
  uint8_t buf[2 + ovpn::kMaxWkc + 512];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  if (n <= 0) return std::nullopt;
  auto key = udp::tcp_v3_client_key({buf, static_cast<size_t>(n)}, s_.openvpn_v2_key);
  if (!key) return std::nullopt;
  OvpnUdpStart s;
  s.client_key = std::move(key->client_key);
  s.metadata.assign(key->metadata.begin(), key->metadata.end());
  return s;
}

void Server::on_openvpn_datagram(UdpListener& l, const Datagram& d, const std::string& ip, uint16_t port,
                                 std::span<const uint8_t> bytes) {
  if (draining_) return;
  time_t now = time(nullptr);
  if (bans_.is_banned(ip, now)) return;
  std::string peer = ip + "|" + std::to_string(port);
  if (!bytes.empty() && ovpn::op_of(bytes[0]) == ovpn::Op::DataV2)
    return float_openvpn(l, d, ip, port, bytes);
  uint64_t old_refused = l.ovpn->old_v2_refused();
  udp::OvpnDecision dec = l.ovpn->on_datagram(bytes, peer, static_cast<uint64_t>(now));
  if (l.ovpn->old_v2_refused() != old_refused && ev_now(loop_) - ovpn_old_v2_logged_ >= 60) {
    ovpn_old_v2_logged_ = ev_now(loop_);  // at most a line a minute: the sender may be spoofed
    log_.info("OpenVPN: a tls-crypt-v2 client that cannot return the cookie (openvpn 2.5 or older) from ", ip,
              cfg().openvpn_tls_crypt_v2_force_cookie
                  ? " is not served over UDP (openvpn-tls-crypt-v2-force-cookie = false serves it, or TCP)"
                  : " was dropped: its reset is stale (clock skew over 5 minutes?) or too many are new");
  }
  if (dec.kind == udp::OvpnDecision::Kind::Reply) {
    if (!ovpn_reset_replies_.allow(dec.client_sid, static_cast<uint64_t>(now))) return;
    if (!ovpn_replies_.take(ev_now(loop_))) {  // this client's retry may still be answered
      ovpn_reset_replies_.refund(dec.client_sid, static_cast<uint64_t>(now));
      return;
    }
    (void)::sendto(l.fd.get(), dec.reply.data(), dec.reply.size(), MSG_DONTWAIT,
                   reinterpret_cast<const sockaddr*>(&d.from), d.from_len);
    return;
  }
  if (dec.kind == udp::OvpnDecision::Kind::Start) start_openvpn_udp(l, d, ip, port, dec, bytes);
}

// A floating client (protocols.md C10): a DATA_V2 packet from an address no worker's socket
// is connected to names its session by peer id (the worker id). Anyone can send one, and peer
// ids are easy to guess, so main makes nothing for it: the worker gets the packet to check
// (an AEAD open and the replay window, as openvpn does for every packet), and only when it
// says the packet authenticated does main make a socket connected to that address
// (send_path_check, on_udp_moved). Forged packets cost no socket, and there is no per-session
// budget for them to use up.
void Server::expire_openvpn_peers() {
  if (ovpn_peers_.empty()) return;
  std::unordered_set<std::string> live;
  for (const auto& [pid, w] : workers_)
    if (!w->ovpn_peer.empty()) live.insert(w->ovpn_peer);
  double t = ev_now(loop_);
  for (auto it = ovpn_peers_.begin(); it != ovpn_peers_.end();)
    it = t - it->second >= kPeerHold && !live.count(it->first) ? ovpn_peers_.erase(it) : std::next(it);
}

void Server::float_openvpn(UdpListener& l, const Datagram& d, const std::string& ip, uint16_t port,
                           std::span<const uint8_t> bytes) {
  if (bytes.size() < 1 + 3 + 4 + 16) return;  // op, peer id, packet id, tag
  uint32_t peer_id = uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 | bytes[3];
  auto id = id_by_peer_id_.find(peer_id);
  WorkerProc* w = id == id_by_peer_id_.end() ? nullptr : worker_by_id(id->second);
  if (w == nullptr || w->service != TcpService::OpenVpnUdp || w->phase != WorkerPhase::Tunnel || w->killed)
    return;
  (void)send_path_check(*w, l, d, ip + "|" + std::to_string(port), bytes);
}

void Server::start_openvpn_udp(UdpListener& l, const Datagram& d, const std::string& ip, uint16_t port,
                               const udp::OvpnDecision& dec, std::span<const uint8_t> bytes) {
  double t = ev_now(loop_);
  std::string peer = ip + "|" + std::to_string(port);
  auto held = ovpn_peers_.find(peer);
  if (held != ovpn_peers_.end()) {
    if (t - held->second < kPeerHold) return;  // the cheap test first: the scan below is O(workers)
    for (const auto& [pid, w] : workers_)
      if (w->ovpn_peer == peer) return;
  }
  time_t now = time(nullptr);
  // An old tls-crypt-v2 client's reset proves nothing about its source address (anyone with a
  // client key can send one from any address): charging it would let a forger get someone
  // else banned. Such starts are bounded by OldClientResets' rate instead; their logins still
  // earn points once the handshake has proven the address.
  if (!dec.from_reset && bans_.add_points(ip, cfg().ban_points_connection, now)) {
    log_.info("banning ", BanDb::key_of(ip), " for ", cfg().ban_time, " s (too many connections)");
    return;
  }
  if (cfg().max_clients != 0 &&
      workers_.size() + pending_spawns_.size() + admission_.queued() >= cfg().max_clients) {
    log_.info("refusing OpenVPN client ", ip, ":", port, ": max-clients (", cfg().max_clients, ") reached");
    return;
  }
  // The worker's socket: the listener's address and port, connected to the client.
  auto sock = socket_for_sender(d, l.port, netns_.get());
  if (!sock.ok()) {
    log_.warn("cannot create a UDP socket for OpenVPN client ", ip);
    return;
  }
  ovpn_peers_[peer] = t;
  if (dec.from_reset) l.ovpn->remember_reset(dec.client_sid, static_cast<uint64_t>(now));
  OvpnUdpStart start;
  start.client_sid.assign(reinterpret_cast<const char*>(dec.client_sid.data()), dec.client_sid.size());
  // From an old tls-crypt-v2 client's reset: the worker answers it (no server session id yet).
  if (!dec.from_reset)
    start.server_sid.assign(reinterpret_cast<const char*>(dec.server_sid.data()), dec.server_sid.size());
  start.first_packet.assign(bytes.begin(), bytes.end());
  start.wrap_time = dec.wrap_time;
  start.client_key = dec.client_key;
  start.metadata.assign(dec.metadata.begin(), dec.metadata.end());
  WaitingConnection wc{std::move(*sock), ip, port, TcpService::OpenVpnUdp, t};
  wc.ovpn = std::move(start);
  log_.debug("OpenVPN client ", ip, ":", port,
             dec.from_reset ? " (tls-crypt-v2, openvpn 2.5 or older) starts from its reset"
                            : " returned its cookie");
  if (auto now_c = admission_.arrive(std::move(wc), t)) (void)start_admitted(std::move(*now_c));
}

}  // namespace sslvpn::mainproc
