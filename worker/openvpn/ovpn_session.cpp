#include "worker/openvpn/ovpn_session.hpp"

#include <algorithm>
#include <cstring>

#include "worker/tunnel/traffic_policy.hpp"

namespace sslvpn::ovpn {
namespace {

using R = ipc::SessionEnd;
using std::chrono::seconds;

bool message_is(const std::string& m, std::string_view what) {
  // Control messages end with NUL; some carry arguments after a comma.
  std::string_view v(m.data(), strnlen(m.data(), m.size()));
  return v == what || (v.size() > what.size() && v.substr(0, what.size()) == what && v[what.size()] == ',');
}

}  // namespace

OvpnSessionSettings ovpn_settings_from(const ipc::TunnelParams& p, uint32_t ping_s, uint32_t ping_restart_s) {
  OvpnSessionSettings s;
  if (auto a = parse_ip(p.ipv4_address())) s.ipv4 = *a;
  if (auto a = parse_ip(p.ipv6_address()))
    s.ipv6 = parse_ip_net(IpNet{*a, static_cast<uint8_t>(p.ipv6_prefix())}.to_string());
  for (const auto& d : p.allowed_destinations())
    if (auto n = parse_ip_net(d)) s.allowed_destinations.push_back(*n);
  s.ports = tunnel::port_filter_from(p.restrict_to_ports());
  s.ping_s = ping_s;
  // A 2.6 server waits twice the ping-restart it pushes before it gives the client up.
  s.dead_s = 2 * ping_restart_s;
  s.idle_timeout_s = p.idle_timeout();
  s.session_limit_s = p.session_timeout() ? std::max<uint32_t>(p.session_remaining(), 1) : 0;
  return s;
}

OvpnSession::OvpnSession(OvpnSessionSettings s, ControlChannel& control, DataChannel data,
                         Clock::time_point now)
    : s_(std::move(s)),
      ctl_(&control),
      data_(std::move(data)),
      key_since_(now),
      start_(now),
      last_rx_(now),
      last_tx_(now),
      last_data_(now) {
  scratch_.reserve(16384 + 64);  // the largest packet a transport takes (kMaxPacket)
}

void OvpnSession::on_stream_record(std::span<const uint8_t> record, Clock::time_point now,
                                   tunnel::TunnelIo& io) {
  if (ended() || record.empty()) return;
  if (is_data(record[0])) {
    scratch_.assign(record.begin(), record.end());
    on_data(scratch_, now, io);
  } else if (is_control(record[0])) {
    on_control(record, now, io);
  } else {
    ++dropped_;
  }
}

bool OvpnSession::on_new_path(std::span<const uint8_t> first, Clock::time_point now, tunnel::TunnelIo& io) {
  if (ended() || first.empty() || !is_data(first[0])) return false;
  scratch_.assign(first.begin(), first.end());
  return on_data(scratch_, now, io);
}

bool OvpnSession::on_data(std::span<uint8_t> pkt, Clock::time_point now, tunnel::TunnelIo& io) {
  // The live key, or the previous one during the transition window.
  DataChannel* key = key_id_of(pkt[0]) == data_.key_id() ? &data_ : nullptr;
  if (key == nullptr && lame_ && key_id_of(pkt[0]) == lame_->key_id() && now < lame_until_) key = &*lame_;
  if (key == nullptr) {
    ++dropped_;
    return false;
  }
  auto plain = key->open(pkt);
  if (!plain.ok()) {
    ++dropped_;
    return false;
  }
  last_rx_ = now;
  auto payload = unframe(s_.framing, *plain);
  if (!payload) {  // compressed: we never asked for it
    ++dropped_;
    return true;
  }
  plain = *payload;
  if (is_ping(*plain)) return true;
  if (is_occ(*plain)) {
    if (is_occ_exit(*plain)) end(R::USER_DISCONNECT);
    return true;
  }
  if (!tunnel::source_allowed(*plain, s_.ipv4, s_.ipv6) ||
      !tunnel::destination_allowed(*plain, s_.allowed_destinations) ||
      !tunnel::ports_allowed(*plain, s_.ports)) {
    ++dropped_;
    return true;
  }
  bytes_in_ += plain->size();
  last_data_ = now;
  io.to_tun(*plain);
  return true;
}

void OvpnSession::on_control(std::span<const uint8_t> pkt, Clock::time_point now, tunnel::TunnelIo& io) {
  if (op_of(pkt[0]) == Op::HardResetClientV2 || op_of(pkt[0]) == Op::HardResetClientV3) {
    // The client restarted from the same address and port (a client that binds its port):
    // its packets reach this worker's socket, not main's. A live client pings at least every
    // ping_s, so a session silent for twice that is its old one: it ends, and the client's next
    // reset goes to main. A forged reset cannot end a session that is alive.
    auto sid = sender_sid(pkt);
    if (sid && *sid != ctl_->peer_sid() && now - last_rx_ >= seconds(2 * s_.ping_s) &&
        ctl_->wrap().unwrap(pkt, false).ok())
      end(R::CLIENT_GONE);
    else
      ++dropped_;
    return;
  }
  ControlChannel* ch = channel_for(pkt[0], now);
  if (ch == nullptr || !ch->on_wire(pkt, now).ok()) {
    ++dropped_;
    if (next_ && ch == next_->ctl.get() && !next_->verified) next_.reset();  // a forged soft reset
    flush_control(now, io);
    return;
  }
  last_rx_ = now;
  if (next_ && ch == next_->ctl.get()) {
    next_->verified = true;
    ControlChannel* live = ctl_;
    advance_key_state(now);
    if (ctl_ == live) return flush_control(now, io);  // still in its handshake (or dropped)
    // This packet's ACK finished the handshake and made it the live key state: a message that
    // came with it (the client's EXIT as it stops) is read now, for no further packet may come.
  }
  if (ch != ctl_) return flush_control(now, io);  // the retired key state: ACKs only
  if (ctl_->tls_failed()) return end(R::ERROR);
  while (auto m = ctl_->take_message()) {
    if (message_is(*m, "PUSH_REQUEST")) {
      // The reply was lost (or the client is impatient): the same reply again.
      for (const auto& r : s_.push_reply) (void)ctl_->send_message(r + '\0');
    } else if (message_is(*m, "EXIT")) {
      end(R::USER_DISCONNECT);
    }
    wipe_string(*m);
  }
  flush_control(now, io);
}

void OvpnSession::flush_control(Clock::time_point now, tunnel::TunnelIo& io) {
  for (ControlChannel* ch : {retired_, ctl_, next_ ? next_->ctl.get() : nullptr}) {
    if (ch == nullptr) continue;
    for (auto& p : ch->take_output(now)) {
      io.to_stream(p);
      last_tx_ = now;
    }
  }
}

Result<std::span<const uint8_t>> OvpnSession::seal_framed(std::span<uint8_t> buf, size_t len) {
  constexpr size_t at = kDataV2Header + kMaxFrameBytes;
  size_t n = frame_prefix(s_.framing, buf.subspan(at, len), buf.data() + at);
  return data_.seal(buf.subspan(at - n - data_.header_size()), len + n);
}

std::span<const uint8_t> OvpnSession::frame_stream(std::span<uint8_t> buf, size_t len,
                                                   Clock::time_point now) {
  auto sealed = seal_framed(buf, len);
  if (!sealed.ok()) {
    ++dropped_;
    return {};
  }
  bytes_out_ += len;
  last_tx_ = now;
  last_data_ = now;
  return *sealed;
}

void OvpnSession::send_ping(Clock::time_point now, tunnel::TunnelIo& io) {
  auto ping = ping_payload();
  std::memcpy(ping_buf_ + kDataV2Header + kMaxFrameBytes, ping.data(), ping.size());
  auto sealed = seal_framed(ping_buf_, ping.size());
  if (!sealed.ok()) return;
  io.to_stream(*sealed);
  last_tx_ = now;
}

void OvpnSession::on_tick(Clock::time_point now, tunnel::TunnelIo& io) {
  if (ended()) return;
  if (lame_ && now >= lame_until_) lame_.reset();
  if (next_ && now - next_->started >= kHandWindow) {
    next_.reset();  // the renegotiation did not finish: the live key goes on
  } else if (!next_ && s_.reneg_s && now - key_since_ >= seconds(s_.reneg_s)) {
    start_key_state(true, now);
  }
  if (next_) advance_key_state(now);
  flush_control(now, io);
  if (s_.session_limit_s && now - start_ >= seconds(s_.session_limit_s)) return end(R::SESSION_TIMEOUT);
  if (s_.idle_timeout_s && now - last_data_ >= seconds(s_.idle_timeout_s)) return end(R::IDLE_TIMEOUT);
  if (now - last_rx_ >= seconds(s_.dead_s)) return end(R::DPD_TIMEOUT);
  if (now - last_tx_ >= seconds(s_.ping_s)) send_ping(now, io);
}

Clock::time_point OvpnSession::next_deadline() const {
  Clock::time_point t = std::min(last_rx_ + seconds(s_.dead_s), last_tx_ + seconds(s_.ping_s));
  if (s_.session_limit_s) t = std::min(t, start_ + seconds(s_.session_limit_s));
  if (s_.idle_timeout_s) t = std::min(t, last_data_ + seconds(s_.idle_timeout_s));
  if (s_.reneg_s && !next_) t = std::min(t, key_since_ + seconds(s_.reneg_s));
  if (next_) t = std::min({t, next_->ctl->next_deadline(), next_->started + kHandWindow});
  if (lame_) t = std::min(t, lame_until_);
  if (retired_) t = std::min(t, retired_->next_deadline());
  return std::min(t, ctl_->next_deadline());
}

void OvpnSession::terminate(EndReason why, bool tell_client, tunnel::TunnelIo& io) {
  if (tell_client) {
    send_goodbye(io);
  } else {
    // The server goes away (a restart, a drain) or the management interface killed the tunnel:
    // the client reconnects at once instead of waiting for its ping-restart, told as openvpn's
    // own server tells it (a bare RESTART, on its exit and for client-kill).
    (void)ctl_->send_message(std::string("RESTART") + '\0');
    flush_control(Clock::now(), io);
  }
  end(why);
}

void OvpnSession::send_goodbye(tunnel::TunnelIo& io) {
  // HALT: the client exits and does not reconnect (an admin's disconnect, a session that is
  // over). The message goes through the reliability layer; the loop flushes it before it closes.
  (void)ctl_->send_message(std::string("HALT,disconnected by the server") + '\0');
  flush_control(Clock::now(), io);
}

}  // namespace sslvpn::ovpn
