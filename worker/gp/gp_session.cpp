#include "worker/gp/gp_session.hpp"

#include <algorithm>
#include <cstring>

#include "worker/gp/gp_flow.hpp"
#include "worker/gp/gp_messages.hpp"
#include "worker/http/form.hpp"
#include "worker/tunnel/traffic_policy.hpp"

namespace sslvpn::gp {
namespace {

using R = ipc::SessionEnd;

// HTTP the client may send before the tunnel starts (hipreport.esp carries a few kB of XML).
constexpr size_t kMaxHttpIn = 128 * 1024;
// A HIP report main keeps (main's own bound is 64 kB).
constexpr size_t kMaxHipReport = 60 * 1024;
constexpr char kStartTunnel[] = "START_TUNNEL";

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

GpSessionSettings gp_settings_from(const ipc::TunnelParams& p, const std::string& gw) {
  GpSessionSettings s;
  s.idle_timeout_s = p.idle_timeout();
  s.session_limit_s = p.session_timeout() ? std::max<uint32_t>(p.session_remaining(), 1) : 0;
  // The client probes ESP every 10 s and sends keepalives every 10 s on the stream: a peer
  // silent for the DPD time (at least 30 s) is gone.
  s.dead_s = std::max<uint32_t>(p.dpd() ? p.dpd() : 90, 30);
  if (auto a = parse_ip(p.ipv4_address())) s.ipv4 = *a;
  if (auto a = parse_ip(p.ipv6_address()))
    s.ipv6 = parse_ip_net(IpNet{*a, static_cast<uint8_t>(p.ipv6_prefix())}.to_string());
  if (auto a = parse_ip(gw)) s.gw = *a;
  for (const auto& d : p.allowed_destinations())
    if (auto n = parse_ip_net(d)) s.allowed_destinations.push_back(*n);
  s.ports = tunnel::port_filter_from(p.restrict_to_ports());
  return s;
}

GpSession::GpSession(GpSessionSettings s, Clock::time_point now, std::unique_ptr<EspSa> esp_out,
                     bool tunnel_now)
    : s_(std::move(s)),
      phase_(tunnel_now ? Phase::Tunnel : Phase::Http),
      esp_out_(std::move(esp_out)),
      start_(now),
      last_rx_(now),
      last_data_(now) {}

void GpSession::start_tunnel(tunnel::TunnelIo& io) {
  // One record holding exactly these 12 bytes: the client compares one read of 12.
  io.to_stream(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kStartTunnel), 12));
  phase_ = Phase::Tunnel;
  esp_up_ = false;  // PAN's rule: the SA is dropped once the HTTPS tunnel carries data
  esp_out_.reset();
}

void GpSession::answer_http(http::Request& req, tunnel::TunnelIo& io) {
  std::string_view path = http::path_of(req.target);
  http::Response resp;
  if (req.method == "GET" && path == "/ssl-tunnel-connect.sslvpn") {
    auto form = http::parse_form(http::query_of(req.target));
    if (form.ok() && form->value("authcookie") == s_.authcookie && form->value("user") == s_.user)
      return start_tunnel(io);
    resp = http::error_response(502);  // the client stops for good
    end(R::ERROR);
  } else if (req.method == "POST" && path == "/ssl-vpn/hipreportcheck.esp") {
    resp = xml_reply(hip_check_reply(s_.hip_report));
  } else if (req.method == "POST" && path == "/ssl-vpn/hipreport.esp") {
    auto form = http::parse_form(req.body, {64, kMaxHipReport});
    if (form.ok() && form->has("report")) {
      ipc::WorkerToMain m;
      m.mutable_hip_report()->set_report(form->value("report"));
      io.to_main(m);
      resp = xml_reply(success_reply());
    } else {
      resp = xml_reply(error_reply("Invalid HIP report"));
    }
  } else if (req.method == "POST" && path == "/ssl-vpn/logout.esp") {
    resp = xml_reply(success_reply());
    resp.close = true;
    end(R::USER_DISCONNECT);
  } else {
    // A second getconfig (the client's retry after an error) or anything else: this connection
    // is done; the client comes back on a new one, whose worker takes the session over.
    resp = http::error_response(503);
    stream_done_ = true;
  }
  if (resp.close || !req.keep_alive()) stream_done_ = true;
  io.to_stream(bytes_of(http::serialize(resp, s_.http_headers)));
}

void GpSession::on_http(Clock::time_point now, tunnel::TunnelIo& io) {
  http::Limits limits;
  limits.max_body = kMaxHttpIn;
  while (phase_ == Phase::Http && !stream_done_ && !ended() && !http_in_.empty()) {
    auto p = http::parse_request(bytes_of(http_in_), limits);
    if (!p.ok()) {
      io.to_stream(bytes_of(
          http::serialize(http::error_response(http::status_for_error(p.error())), s_.http_headers)));
      stream_done_ = true;
      return;
    }
    if (!p->has_value()) {
      if (http_in_.size() > kMaxHttpIn + limits.max_header_bytes) stream_done_ = true;
      return;
    }
    size_t used = (*p)->consumed;
    http::Request req = std::move((*p)->request);
    http_in_.erase(0, used);
    answer_http(req, io);
  }
  // Frames that followed the tunnel GET in the same read.
  if (phase_ == Phase::Tunnel && !http_in_.empty()) {
    std::string rest = std::move(http_in_);
    http_in_.clear();
    on_frames(bytes_of(rest), now, io);
  }
}

void GpSession::on_stream_record(std::span<const uint8_t> record, Clock::time_point now,
                                 tunnel::TunnelIo& io) {
  if (ended()) return;
  last_rx_ = now;
  if (phase_ == Phase::Tunnel) return on_frames(record, now, io);
  if (stream_done_) return;
  http_in_.append(reinterpret_cast<const char*>(record.data()), record.size());
  on_http(now, io);
}

void GpSession::from_client(std::span<const uint8_t> packet, Clock::time_point now, tunnel::TunnelIo& io) {
  if (phase_ == Phase::Tunnel && is_magic_ping(packet, s_.gw)) {
    // openconnect only probes over ESP, but PAN answers the probe on whichever path it came.
    size_t n = build_magic_reply(packet, s_.gw, std::span<uint8_t>(control_ + kFrameHeader, 2048));
    if (n == 0) return;
    write_frame_header(control_, std::span<const uint8_t>(control_ + kFrameHeader, n));
    io.to_stream(std::span<const uint8_t>(control_, kFrameHeader + n));
    return;
  }
  if (!tunnel::source_allowed(packet, s_.ipv4, s_.ipv6) ||
      !tunnel::destination_allowed(packet, s_.allowed_destinations) ||
      !tunnel::ports_allowed(packet, s_.ports)) {
    ++dropped_;
    return;
  }
  bytes_in_ += packet.size();
  last_data_ = now;
  io.to_tun(packet);
}

void GpSession::on_frames(std::span<const uint8_t> record, Clock::time_point now, tunnel::TunnelIo& io) {
  while (!record.empty() && !ended()) {
    size_t used = 0;
    auto f = parse_frame(record, &used);
    if (!f.ok()) {
      // A bad magic or ethertype: the client would quit on the same; so do we.
      end(R::ERROR);
      return;
    }
    record = record.subspan(used);
    if (f->keepalive) {
      write_keepalive(control_);
      io.to_stream(std::span<const uint8_t>(control_, kFrameHeader));
      continue;
    }
    from_client(f->packet, now, io);
  }
}

void GpSession::on_datagram(std::span<const uint8_t> packet, Clock::time_point now, tunnel::TunnelIo& io) {
  if (ended() || phase_ == Phase::Tunnel || !esp_out_) {
    ++dropped_;
    return;
  }
  last_rx_ = now;
  esp_up_ = true;
  if (is_magic_ping(packet, s_.gw)) {
    // The reply goes back over ESP: it is what tells the client ESP works.
    size_t n = build_magic_reply(packet, s_.gw, std::span<uint8_t>(control_ + kEspHeadroom, 2048));
    if (n == 0) return;
    auto sealed = esp_out_->seal_in_place(control_, n, kNextIpv4);
    if (sealed.ok()) io.to_datagram(std::span<const uint8_t>(control_, *sealed));
    return;
  }
  from_client(packet, now, io);
}

std::span<const uint8_t> GpSession::frame_stream(std::span<uint8_t> buf, size_t len, Clock::time_point now) {
  if (phase_ != Phase::Tunnel) {  // no path to the client yet (or only ESP, which is down)
    ++dropped_;
    return {};
  }
  uint8_t* frame = buf.data() + kEspHeadroom - kFrameHeader;
  write_frame_header(frame, buf.subspan(kEspHeadroom, len));
  bytes_out_ += len;
  last_data_ = now;
  return {frame, kFrameHeader + len};
}

std::span<const uint8_t> GpSession::frame_datagram(std::span<uint8_t> buf, size_t len,
                                                   Clock::time_point now) {
  uint8_t nh = len > 0 && (buf[kEspHeadroom] >> 4) == 6 ? kNextIpv6 : kNextIpv4;
  auto sealed = esp_out_ ? esp_out_->seal_in_place(buf, len, nh) : Result<size_t>(Errc::State);
  if (!sealed.ok()) {
    ++dropped_;
    return {};
  }
  bytes_out_ += len;
  last_data_ = now;
  return buf.first(*sealed);
}

void GpSession::stream_lost(Clock::time_point now) {
  if (!stream_gone_) last_rx_ = std::max(last_rx_, now);  // ESP has dead_s from here to show up
  stream_gone_ = true;
  stream_done_ = true;
}

void GpSession::on_tick(Clock::time_point now, tunnel::TunnelIo&) {
  if (ended()) return;
  using std::chrono::seconds;
  if (s_.session_limit_s && now - start_ >= seconds(s_.session_limit_s)) return end(R::SESSION_TIMEOUT);
  if (s_.idle_timeout_s && now - last_data_ >= seconds(s_.idle_timeout_s)) return end(R::IDLE_TIMEOUT);
  // A live client probes ESP every 10 s, sends keepalives every 10 s on the tunnel stream,
  // and sends the tunnel GET within 5 s when ESP does not answer: silence means it is gone.
  if (now - last_rx_ >= seconds(s_.dead_s)) return end(R::DPD_TIMEOUT);
}

Clock::time_point GpSession::next_deadline() const {
  using std::chrono::seconds;
  Clock::time_point t = last_rx_ + seconds(s_.dead_s);
  if (s_.session_limit_s) t = std::min(t, start_ + seconds(s_.session_limit_s));
  if (s_.idle_timeout_s) t = std::min(t, last_data_ + seconds(s_.idle_timeout_s));
  return t;
}

void GpSession::terminate(EndReason why, bool, tunnel::TunnelIo&) {
  end(why);
}

}  // namespace sslvpn::gp
