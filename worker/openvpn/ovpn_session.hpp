// One OpenVPN tunnel as the generic tunnel loop's engine (worker/tunnel/engine.hpp). The
// "stream" is the client's packet transport (a UDP socket connected to it, or TCP with its
// length framing): each record is one OpenVPN packet, data or control. The engine decrypts
// data packets to the TUN device, answers the control channel (ACKs, repeated PUSH_REQUESTs,
// EXIT), sends keepalive pings, and ends the session on ping-restart silence, OCC EXIT or an
// admin's disconnect (telling the client RESTART or HALT).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_addr.hpp"
#include "ipc.pb.h"
#include "worker/openvpn/control.hpp"
#include "worker/openvpn/data_channel.hpp"
#include "worker/tunnel/engine.hpp"

namespace sslvpn::ovpn {

using EndReason = tunnel::EndReason;

struct OvpnSessionSettings {
  std::optional<IpAddr> ipv4;
  std::optional<IpNet> ipv6;
  std::vector<IpNet> allowed_destinations;
  uint32_t ping_s = 10;   // we send a ping after this long without sending
  uint32_t dead_s = 120;  // nothing from the client for this long: it is gone
  uint32_t idle_timeout_s = 0;
  uint32_t session_limit_s = 0;
  std::vector<std::string> push_reply;  // the PUSH_REPLY messages, for repeated PUSH_REQUESTs
};

OvpnSessionSettings ovpn_settings_from(const ipc::TunnelParams& p, uint32_t ping_s, uint32_t ping_restart_s);

class OvpnSession final : public tunnel::TunnelEngine {
 public:
  // `control` (with its TLS session and wrap) outlives the session.
  OvpnSession(OvpnSessionSettings s, ControlChannel& control, DataChannel data, Clock::time_point now);

  size_t header_room() const override { return kDataV2Header; }
  void on_stream_record(std::span<const uint8_t> record, Clock::time_point now,
                        tunnel::TunnelIo& io) override;
  void on_datagram(std::span<const uint8_t>, Clock::time_point, tunnel::TunnelIo&) override { ++dropped_; }
  void datagram_established(Clock::time_point) override {}
  bool datagram_up() const override { return false; }
  std::span<const uint8_t> frame_stream(std::span<uint8_t> buf, size_t len, Clock::time_point now) override;
  std::span<const uint8_t> frame_datagram(std::span<uint8_t>, size_t, Clock::time_point) override {
    return {};
  }
  void on_tick(Clock::time_point now, tunnel::TunnelIo& io) override;
  Clock::time_point next_deadline() const override;
  void terminate(EndReason why, bool tell_client, tunnel::TunnelIo& io) override;
  void send_goodbye(tunnel::TunnelIo& io) override;
  bool ended() const override { return end_.has_value(); }
  EndReason end_reason() const override { return *end_; }
  uint64_t bytes_in() const override { return bytes_in_; }
  uint64_t bytes_out() const override { return bytes_out_; }
  uint64_t dropped() const override { return dropped_; }

  const DataChannel& data() const { return data_; }

 private:
  void on_data(std::span<uint8_t> pkt, Clock::time_point now, tunnel::TunnelIo& io);
  void on_control(std::span<const uint8_t> pkt, Clock::time_point now, tunnel::TunnelIo& io);
  void flush_control(Clock::time_point now, tunnel::TunnelIo& io);
  void send_ping(Clock::time_point now, tunnel::TunnelIo& io);
  void end(EndReason why) {
    if (!end_) end_ = why;
  }

  OvpnSessionSettings s_;
  ControlChannel& control_;
  DataChannel data_;
  Clock::time_point start_, last_rx_, last_tx_, last_data_;
  std::optional<EndReason> end_;
  uint64_t bytes_in_ = 0, bytes_out_ = 0, dropped_ = 0;
  std::vector<uint8_t> scratch_;  // a record we decrypt in place
  uint8_t ping_buf_[kDataV2Header + 16]{};
};

}  // namespace sslvpn::ovpn
