// One GlobalProtect tunnel as an I/O-free state machine (STYLE rule 18), driven by the generic
// tunnel loop (worker/tunnel).
//
// Phases:
//   Http   -> after getconfig: the stream still carries HTTP (hipreportcheck, hipreport, and,
//             when ESP does not come up, the tunnel GET); data goes over ESP once the client's
//             first packet authenticated. The client closes the stream once ESP works: the
//             tunnel goes on without it (needs_stream() is false).
//   Tunnel -> after START_TUNNEL: the stream carries framed packets; ESP is dropped, as PAN
//             drops the SA once the HTTPS tunnel starts, and the tunnel ends with the stream.
//   Ended  -> end_reason() says why.
//
// The engine answers the magic ping (ICMP echo to gw-address with PAN's payload) on the path
// it came by, echoes keepalive frames at once, drops packets from any address but the
// client's, and ends the session when neither path has carried anything for `dead_s`.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/ip_addr.hpp"
#include "common/port_filter.hpp"
#include "ipc.pb.h"
#include "worker/gp/esp.hpp"
#include "worker/gp/gp_frame.hpp"
#include "worker/http/http_request.hpp"
#include "worker/tunnel/engine.hpp"

namespace sslvpn::gp {

using Clock = tunnel::Clock;
using EndReason = tunnel::EndReason;

struct GpSessionSettings {
  std::optional<IpAddr> ipv4;  // the client's addresses: packets from others are dropped
  std::optional<IpNet> ipv6;
  IpAddr gw;  // getconfig's gw-address: the magic ping's target
  uint32_t idle_timeout_s = 0;
  uint32_t session_limit_s = 0;
  uint32_t dead_s = 90;  // nothing from the client on any path for this long: the peer is gone
  bool hip_report = false;
  std::string authcookie, user;  // what a tunnel GET on this stream must name
  std::vector<IpNet> allowed_destinations;
  PortFilter ports;                       // restrict-user-to-ports
  std::vector<std::string> http_headers;  // included-http-headers: every answer carries them
};

// The session's settings from what main granted and the cookie the client showed.
GpSessionSettings gp_settings_from(const ipc::TunnelParams& p, const std::string& gw);

class GpSession final : public tunnel::TunnelEngine {
 public:
  enum class Phase { Http, Tunnel };
  // `esp_out` seals what we send over ESP (null: no ESP). `tunnel_now`: the connection began
  // with the tunnel GET, START_TUNNEL is already sent.
  GpSession(GpSessionSettings s, Clock::time_point now, std::unique_ptr<EspSa> esp_out, bool tunnel_now);

  size_t header_room() const override { return kEspHeadroom; }
  void on_stream_record(std::span<const uint8_t> record, Clock::time_point now,
                        tunnel::TunnelIo& io) override;
  // An ESP packet's payload (the channel authenticated and decrypted it).
  void on_datagram(std::span<const uint8_t> packet, Clock::time_point now, tunnel::TunnelIo& io) override;
  void datagram_established(Clock::time_point) override {}
  bool datagram_up() const override { return esp_up_ && phase_ == Phase::Http; }
  std::span<const uint8_t> frame_stream(std::span<uint8_t> buf, size_t len, Clock::time_point now) override;
  std::span<const uint8_t> frame_datagram(std::span<uint8_t> buf, size_t len, Clock::time_point now) override;
  void on_tick(Clock::time_point now, tunnel::TunnelIo& io) override;
  Clock::time_point next_deadline() const override;
  void terminate(EndReason why, bool tell_client, tunnel::TunnelIo& io) override;
  void send_goodbye(tunnel::TunnelIo&) override {}  // GlobalProtect has none: the cookie dies
  bool ended() const override { return end_.has_value(); }
  EndReason end_reason() const override { return *end_; }
  uint64_t bytes_in() const override { return bytes_in_; }
  uint64_t bytes_out() const override { return bytes_out_; }
  uint64_t dropped() const override { return dropped_; }
  // Without ESP (none offered, or its sequence numbers used up) the stream is the only path.
  bool needs_stream() const override { return phase_ == Phase::Tunnel || !esp_out_ || esp_out_->exhausted(); }
  void stream_lost(Clock::time_point now) override;
  bool stream_done() const override { return stream_done_; }

  Phase phase() const noexcept { return phase_; }

 private:
  void on_http(Clock::time_point now, tunnel::TunnelIo& io);
  void answer_http(http::Request& req, tunnel::TunnelIo& io);
  void on_frames(std::span<const uint8_t> record, Clock::time_point now, tunnel::TunnelIo& io);
  void from_client(std::span<const uint8_t> packet, Clock::time_point now, tunnel::TunnelIo& io);
  void start_tunnel(tunnel::TunnelIo& io);
  void end(EndReason why) {
    if (!end_) end_ = why;
  }

  GpSessionSettings s_;
  Phase phase_;
  std::unique_ptr<EspSa> esp_out_;
  bool esp_up_ = false;  // an ESP packet authenticated: data goes that way
  bool stream_gone_ = false;
  bool stream_done_ = false;
  Clock::time_point start_, last_rx_, last_data_;
  std::string http_in_;  // HTTP bytes received before the tunnel started
  std::optional<EndReason> end_;
  uint64_t bytes_in_ = 0, bytes_out_ = 0, dropped_ = 0;
  // Control packets: keepalive echoes, HTTP answers, magic ping replies (sealed for ESP).
  uint8_t control_[kEspHeadroom + 2048 + kEspMaxTrailer];
};

}  // namespace sslvpn::gp
