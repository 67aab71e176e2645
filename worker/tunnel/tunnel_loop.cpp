#include "worker/tunnel/tunnel_loop.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sslvpn::tunnel {
namespace {

using R = ipc::SessionEnd;

// Work done per wake-up before polling again, so no descriptor starves the others.
constexpr int kBatch = 64;
// Messages from main read per wakeup.
constexpr int kMainBatch = 32;
// How often byte counters go to main.
constexpr auto kStatsInterval = std::chrono::seconds(3);
// A DTLS handshake in progress is not replaced by a newer hello for this long: a legitimate
// client finishes in a round trip or two, and a stream of forged hellos cannot keep
// restarting it. (main hands a tunnel at most one UDP socket per second.)
constexpr auto kCandidateMinLife = std::chrono::seconds(3);
// How often a waiting handshake is given a chance to retransmit (GnuTLS starts at 1 s).
constexpr auto kCandidateRetransmitCheck = std::chrono::milliseconds(200);

}  // namespace

TunnelLoop::TunnelLoop(Logger& log, StreamTransport& stream, TunnelEngine& engine, UniqueFd tun,
                       IpcChannel& main, const ipc::TunnelParams& params,
                       std::unique_ptr<DatagramFactory> datagrams)
    : log_(log),
      stream_(stream),
      engine_(engine),
      tun_(std::move(tun), params.tun_vnet_hdr()),
      main_(main),
      mark_(params),
      factory_(std::move(datagrams)),
      next_stats_(Clock::now() + kStatsInterval),
      rx_budget_(params.rx_per_sec() ? ByteBudget(params.rx_per_sec(), Clock::now()) : ByteBudget()),
      tx_budget_(params.tx_per_sec() ? ByteBudget(params.tx_per_sec(), Clock::now()) : ByteBudget()) {
  mark_.apply(stream_.fd());
}

void TunnelLoop::to_datagram(std::span<const uint8_t> record) {
  if (datagram_ready()) (void)dgram_->send(record);  // UDP: a record that cannot go is lost
}

void TunnelLoop::to_main(const ipc::WorkerToMain& m) {
  if (!main_.send(m)) main_gone_ = true;
}

void TunnelLoop::check_stream(Clock::time_point now) {
  if (stream_closed_) return;
  if (!stream_failed_ && engine_.stream_done()) {
    flush_stream();
    stream_failed_ = true;
  }
  if (!stream_failed_ || engine_.needs_stream()) return;
  stream_.close();
  stream_closed_ = true;
  stream_blocked_ = false;
  engine_.stream_lost(now);
  log_.info("the client closed its stream; the tunnel goes on over ", factory_ ? factory_->name() : "nothing",
            dgram_ ? "" : " (not up yet)");
}

void TunnelLoop::on_udp_socket(const ipc::UdpSocket& m, UniqueFd fd) {
  mark_.apply(fd.get());
  if (m.stay()) {  // an answer to a check that passed, not a datagram to check
    if (dgram_) dgram_->stay();
    return;
  }
  if (!fd.valid()) {  // a datagram to check: main waits for the answer, whatever it is
    checked_handoff_ = m.handoff();
    checks_unacked_ = true;
  }
  if (!factory_ && !m.client_hello()) {
    // The stream itself is datagrams (OpenVPN over UDP), a floating client. First a packet from
    // the new address without a socket: if the engine authenticates it (it is then processed),
    // main is told, and only then sends a socket connected there, which the stream moves to.
    if (!fd.valid()) {
      // What already waits on the stream's own socket goes first, as for a datagram channel
      // below: a replayed copy from another address then meets the replay window. Should the
      // socket not be emptied (a full device, the receive budget), the packet is not judged:
      // the client's next one from there brings another check.
      if (stream_closed_ || stream_failed_ || !read_stream(Clock::now()) || engine_.ended()) return;
      const auto& first = m.first_datagram();
      if (engine_.on_new_path(
              std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(first.data()), first.size()),
              Clock::now(), *this))
        report_stats(Clock::now(), true, m.handoff());
    } else if (m.verified() && stream_.replace_socket(std::move(fd))) {
      log_.info("the client moved to a new address (", stream_.description(), ")");
    }
    return;
  }
  if (!factory_) return;  // no datagram channel was offered: nothing to do with it
  if (!m.client_hello()) {
    // A new port (NAT rebinding), in two steps as for OpenVPN above: the datagram alone first,
    // then the socket once main heard that it authenticated.
    if (!dgram_) return;
    if (fd.valid()) {
      // Should a newer handshake have replaced the channel that authenticated the datagram,
      // this one moves: main counts the client there now, and if the client is elsewhere its
      // next datagram reaches main from there, authenticates, and brings a socket of its own.
      if (m.verified()) dgram_->move_to(std::move(fd));
      return;
    }
    // What already waits on the channel's own socket goes first: a copy of one of those
    // datagrams from another port (an on-path attacker's replay, which main forwards through
    // another queue) then finds the original counted by the replay window instead of
    // overtaking it and moving the session. Not emptied: not judged (as for OpenVPN above).
    if (!read_datagrams(Clock::now()) || !dgram_) return;
    auto n = dgram_->check_new_path(m.first_datagram(), rx_);
    if (!n.ok()) return;  // did not decrypt: nothing changes
    log_.info(factory_->name(), " client moved to a new port");
    engine_.on_datagram(std::span<const uint8_t>(rx_, *n), Clock::now(), *this);
    report_stats(Clock::now(), true, m.handoff());
    return;
  }
  if (!fd.valid()) return;
  // Anyone who saw the client's hello can send one with its session id: a hello is only a
  // candidate. It never touches the live channel; it replaces it once its handshake completed,
  // which proves the key (the PSK from the TLS session, or the legacy master secret).
  auto now = Clock::now();
  if (candidate_ && now - candidate_since_ < kCandidateMinLife) {
    log_.debug(factory_->name(), " hello ignored: a handshake started ",
               std::chrono::duration_cast<std::chrono::milliseconds>(now - candidate_since_).count(),
               " ms ago is still running");
    return;
  }
  std::string error;
  auto c = factory_->open(std::move(fd), m.first_datagram(), &error);
  if (!c.ok()) {
    log_.info("cannot start ", factory_->name(), ": ", error);
    return;
  }
  if (dgram_)
    log_.debug(factory_->name(),
               " hello on a new path; the current channel stays until its handshake completes");
  candidate_ = std::move(c).value();
  candidate_since_ = now;
  candidate_due_ = now;  // its first datagram is already here: drive it at once
}

void TunnelLoop::drive_candidate(Clock::time_point now) {
  auto r = candidate_->handshake();
  if (!r.ok()) {
    log_.info(factory_->name(), dgram_ ? " handshake on a new path failed; the current channel stays"
                                       : " handshake failed; staying on the stream");
    candidate_.reset();
    return;
  }
  if (!*r) {
    // Driven again when its socket is readable, or for a retransmission: not on every wake-up
    // of a busy tunnel (a forged hello's candidate can wait up to 30 s).
    candidate_due_ = now + kCandidateRetransmitCheck;
    return;
  }
  if (dgram_) dgram_->flush();  // what was queued goes the old way
  dgram_ = std::move(candidate_);
  engine_.datagram_established(now);
  log_.info(factory_->name(), " established: ", dgram_->description());
  report_stats(now, true);
}

bool TunnelLoop::read_datagrams(Clock::time_point now) {
  for (int i = 0; i < kBatch && !tun_.blocked() && !engine_.ended() && rx_budget_.ready(now); ++i) {
    auto n = dgram_->recv(rx_);
    if (!n.ok()) {
      if (n.error() != Errc::Timeout) {
        log_.info(factory_->name(), " channel closed; staying on the stream");
        dgram_.reset();
        report_stats(now, true);  // main learns at once that the tunnel has no datagram path
        return false;
      }
      return true;
    }
    rx_delivered_ = 0;
    engine_.on_datagram(std::span<const uint8_t>(rx_, *n), now, *this);
    rx_budget_.charge(std::max(*n, rx_delivered_), now);
  }
  return false;
}

// Packets for the device are batched until the end of the wake-up (flush_tun), so a burst of
// TCP segments reaches the kernel as few GSO packets.
void TunnelLoop::to_tun(std::span<const uint8_t> packet) {
  rx_delivered_ += packet.size();
  tun_.queue(packet);
}

void TunnelLoop::flush_tun() {
  (void)tun_.flush();  // what the device refuses waits there (tun_.blocked())
}

void TunnelLoop::to_stream(std::span<const uint8_t> frame) {
  if (stream_failed_ || frame.empty()) return;
  if (!stream_.queue_record(frame)) stream_failed_ = true;
}

void TunnelLoop::flush_stream() {
  if (stream_failed_) return;
  auto r = stream_.flush();
  if (!r.ok()) {
    stream_failed_ = true;
    return;
  }
  stream_blocked_ = !*r;
}

bool TunnelLoop::read_stream(Clock::time_point now) {
  for (int i = 0;
       i < kBatch && !tun_.blocked() && !engine_.ended() && rx_budget_.ready(now) && !stream_.backlogged();
       ++i) {
    auto n = stream_.recv_nonblocking(rx_);
    if (!n.ok()) {
      if (n.error() != Errc::Timeout) stream_failed_ = true;
      return n.error() == Errc::Timeout;
    }
    rx_delivered_ = 0;
    engine_.on_stream_record(std::span<const uint8_t>(rx_, *n), now, *this);
    rx_budget_.charge(std::max(*n, rx_delivered_), now);
  }
  return false;
}

// One packet from the device (or one segment of a super-packet), at tx_ + the header room.
void TunnelLoop::send_packet(size_t len, Clock::time_point now) {
  tx_budget_.charge(len, now);
  if (datagram_ready() && engine_.datagram_up() && dgram_->send(engine_.frame_datagram(tx_, len, now)))
    return;
  to_stream(engine_.frame_stream(tx_, len, now));
}

void TunnelLoop::read_tun(Clock::time_point now) {
  struct Sink final : tun::SegmentSink {
    TunnelLoop& loop;
    Clock::time_point now;
    Sink(TunnelLoop& l, Clock::time_point t) : loop(l), now(t) {}
    void on_segment(size_t len) override { loop.send_packet(len, now); }
  } sink(*this, now);
  size_t room = std::min(engine_.header_room(), kMaxHeaderRoom);
  for (int i = 0;
       i < kBatch && (stream_closed_ || (!stream_failed_ && stream_.has_room())) && tx_budget_.ready(now);
       ++i)
    if (!tun_.read(tx_, room, sink).ok()) return;  // nothing more for now
}

bool TunnelLoop::on_main_message() {
  auto r = main_.recv<ipc::MainToWorker>(true);
  if (!r.ok()) {
    if (r.error() != Errc::Timeout) main_gone_ = true;
    return false;
  }
  // The one dispatch point for main's channel in the tunnel phase. Main is trusted, but a kind
  // that has no meaning here is a protocol error: the tunnel ends rather than guess.
  switch (r->first.msg_case()) {
    case ipc::MainToWorker::kUdpSocket:
      on_udp_socket(r->first.udp_socket(), std::move(r->second));
      return true;
    case ipc::MainToWorker::kTerminate: {
      const auto& t = r->first.terminate();
      log_.info("main ends the tunnel: ", t.reason());
      engine_.terminate(R::SERVER_DISCONNECT, t.tell_client(), *this);
      return true;
    }
    case ipc::MainToWorker::kStartup:
    case ipc::MainToWorker::kSessionReply:
    case ipc::MainToWorker::MSG_NOT_SET:
      log_.error("unexpected message from main in the tunnel (case ", static_cast<int>(r->first.msg_case()),
                 ")");
      main_gone_ = true;
      return false;
  }
  return false;
}

void TunnelLoop::ack_path_checks() {
  if (!checks_unacked_) return;
  checks_unacked_ = false;
  ipc::WorkerToMain m;
  m.mutable_path_checked()->set_through(checked_handoff_);
  (void)main_.send(m);
}

void TunnelLoop::report_stats(Clock::time_point now, bool force, uint32_t moved_to_handoff) {
  if (!force && now < next_stats_ && reported_once_) return;
  next_stats_ = now + kStatsInterval;
  std::string dtls = datagram_ready() ? dgram_->description() : std::string();
  if (reported_once_ && engine_.bytes_in() == reported_in_ && engine_.bytes_out() == reported_out_ &&
      dtls == reported_dgram_ && moved_to_handoff == 0)
    return;
  reported_once_ = true;
  reported_in_ = engine_.bytes_in();
  reported_out_ = engine_.bytes_out();
  reported_dgram_ = dtls;
  ipc::WorkerToMain m;
  auto* st = m.mutable_session_stats();
  st->set_bytes_in(reported_in_);
  st->set_bytes_out(reported_out_);
  st->set_tls_cipher(stream_.description());
  st->set_dtls_cipher(dtls);
  st->set_cstp_compression(std::string(engine_.stream_compression()));
  if (!dtls.empty()) st->set_dtls_compression(std::string(engine_.datagram_compression()));
  st->set_moved_to_handoff(moved_to_handoff);
  (void)main_.send(m);
}

int TunnelLoop::poll_timeout_ms(Clock::time_point now) const {
  auto until = std::min(engine_.next_deadline(), next_stats_);
  if (dgram_) until = std::min(until, dgram_->deadline());
  // A budget in debt wakes us when it is paid off.
  if (rx_paused_) until = std::min(until, rx_budget_.ready_at(now));
  if (tx_paused_) until = std::min(until, tx_budget_.ready_at(now));
  if (until <= now) return 0;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1;
  return static_cast<int>(std::min<long long>(ms, 60'000));
}

ipc::SessionEnd TunnelLoop::run() {
  while (!engine_.ended() && !(stream_failed_ && !stream_closed_) && !main_gone_) {
    auto now = Clock::now();
    // rx/tx-data-per-sec: while a budget is in debt, the side it limits is not read.
    rx_paused_ = !rx_budget_.ready(now);
    tx_paused_ = !tx_budget_.ready(now);
    bool rx_open = !tun_.blocked() && !rx_paused_;
    bool stream_rx = rx_open && !stream_closed_ && !stream_.backlogged();
    pollfd fds[5] = {
        {stream_closed_ ? -1 : stream_.fd(),
         static_cast<short>((stream_rx ? POLLIN : 0) | (stream_blocked_ ? POLLOUT : 0)), 0},
        {tun_.fd(),
         static_cast<short>((stream_blocked_ || tx_paused_ ? 0 : POLLIN) | (tun_.blocked() ? POLLOUT : 0)),
         0},
        {main_.raw_fd(), POLLIN, 0},
        {dgram_ ? dgram_->fd() : -1, static_cast<short>(rx_open ? POLLIN : 0), 0},
        {candidate_ ? candidate_->fd() : -1, POLLIN, 0},
    };
    bool buffered =
        ((!stream_closed_ && stream_.pending() > 0) || (dgram_ && dgram_->pending() > 0)) && rx_open;
    int timeout = buffered ? 0 : poll_timeout_ms(now);
    if (candidate_) {  // handshake retransmits
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(candidate_due_ - now).count();
      timeout = std::min<int>(timeout, static_cast<int>(std::clamp<long long>(ms + 1, 0, 200)));
    }
    if (::poll(fds, 5, timeout) < 0 && errno != EINTR) break;
    now = Clock::now();
    if (fds[2].revents) {
      // Several at a time (a flood of datagrams to check comes this way), then one answer.
      for (int i = 0; i < kMainBatch && !main_gone_ && !engine_.ended() && on_main_message(); ++i) {
      }
      ack_path_checks();
    }
    if (candidate_ && ((fds[4].revents & (POLLIN | POLLERR)) || now >= candidate_due_)) drive_candidate(now);
    if (dgram_ && ((fds[3].revents & (POLLIN | POLLERR)) || dgram_->pending() > 0)) read_datagrams(now);
    if (tun_.blocked() && (fds[1].revents & (POLLOUT | POLLERR))) flush_tun();
    if (stream_blocked_ && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) flush_stream();
    if (!stream_closed_ &&
        ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) || (stream_.pending() > 0 && stream_rx)))
      read_stream(now);
    if (!stream_blocked_ && !tx_paused_ && (fds[1].revents & POLLIN)) read_tun(now);
    engine_.on_tick(now, *this);
    if (!tun_.blocked()) flush_tun();
    if (!stream_blocked_) flush_stream();
    if (dgram_) dgram_->flush();
    check_stream(now);
    report_stats(now, false);
  }
  R end;
  if (!engine_.ended() && main_gone_) {
    // The server is gone (it stops, or main failed): the client is told as the protocol allows
    // (OpenVPN's RESTART: it reconnects at once instead of after its ping-restart).
    engine_.terminate(R::SERVER_DISCONNECT, false, *this);
    flush_stream();
    if (dgram_) dgram_->flush();
  }
  if (engine_.ended())
    end.set_reason(engine_.end_reason());
  else if (main_gone_)
    end.set_reason(R::SERVER_DISCONNECT);
  else
    end.set_reason(R::CLIENT_GONE);
  // Timeouts tell the client, so it does not reconnect into a session that is over.
  if (end.reason() == R::SESSION_TIMEOUT || end.reason() == R::IDLE_TIMEOUT) {
    engine_.send_goodbye(*this);
    flush_stream();
  }
  end.set_bytes_in(engine_.bytes_in());
  end.set_bytes_out(engine_.bytes_out());
  uint64_t dropped = engine_.dropped() + tun_.dropped();
  if (dropped) end.set_detail(std::to_string(dropped) + " packets dropped");
  if (tun_.gso_writes() || tun_.tso_reads())
    log_.debug("TUN offload: ", tun_.gso_segments(), " packets written as ", tun_.gso_writes(),
               " GSO writes; ", tun_.tso_segments(), " packets read as ", tun_.tso_reads(), " TSO reads");
  return end;
}

}  // namespace sslvpn::tunnel
