// One OpenVPN tunnel as the generic tunnel loop's engine (worker/tunnel/engine.hpp). The
// "stream" is the client's packet transport (a UDP socket connected to it, or TCP with its
// length framing): each record is one OpenVPN packet, data or control. The engine decrypts
// data packets to the TUN device, answers the control channel (ACKs, repeated PUSH_REQUESTs,
// EXIT), sends keepalive pings, and ends the session on ping-restart silence, OCC EXIT or an
// admin's disconnect (telling the client RESTART or HALT).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_addr.hpp"
#include "common/port_filter.hpp"
#include "ipc.pb.h"
#include "worker/openvpn/control.hpp"
#include "worker/openvpn/data_channel.hpp"
#include "worker/openvpn/key_method.hpp"
#include "worker/tunnel/engine.hpp"

namespace sslvpn::ovpn {

using EndReason = tunnel::EndReason;

struct OvpnSessionSettings {
  std::optional<IpAddr> ipv4;
  std::optional<IpNet> ipv6;
  std::vector<IpNet> allowed_destinations;
  PortFilter ports;       // restrict-user-to-ports
  uint32_t ping_s = 10;   // we send a ping after this long without sending
  uint32_t dead_s = 120;  // nothing from the client for this long: it is gone
  uint32_t idle_timeout_s = 0;
  uint32_t session_limit_s = 0;
  std::vector<std::string> push_reply;  // the PUSH_REPLY messages, for repeated PUSH_REQUESTs
  // Renegotiation (protocols.md C11): a fresh TLS session per new key state; the client
  // proves it is the same one with the user name and the auth-token we pushed, or with the
  // same certificate.
  std::function<std::unique_ptr<worker::TlsServer>()> make_tls;
  std::string username;
  std::string token;      // the pushed auth-token ("" when none)
  std::string cert_leaf;  // DER of the client's certificate at login ("" when none)
  DataCipher cipher = DataCipher::Aes256Gcm;
  bool data_v2 = true;
  uint32_t peer_id = 0;
  uint32_t reneg_s = 0;   // we renegotiate after this long (0: only when the client does)
  bool prf_keys = false;  // the client has no TLS key export (2.5 and older): openvpn's PRF
  CompFraming framing = CompFraming::None;
};

// openvpn's hand-window and transition-window: a renegotiation finishes within the first, and
// the previous key decrypts for the second.
inline constexpr std::chrono::seconds kHandWindow{60};
inline constexpr std::chrono::seconds kTransitionWindow{60};

// The data-channel key material of one key state (kKeyMaterial bytes): from the TLS exporter
// (2.6's key-derivation tls-ekm) or, with `prf`, openvpn's PRF over both sides' key-method-2
// messages and the session ids (worker/openvpn/key_prf.hpp).
Result<SecretBytes> data_key_material(const worker::TlsServer& tls, bool prf, const ClientKeyMethod& client,
                                      const ServerKeyMethod& server, const ControlChannel& ctl);

OvpnSessionSettings ovpn_settings_from(const ipc::TunnelParams& p, uint32_t ping_s, uint32_t ping_restart_s);

class OvpnSession final : public tunnel::TunnelEngine {
 public:
  // `control` (with its TLS session and wrap) outlives the session.
  OvpnSession(OvpnSessionSettings s, ControlChannel& control, DataChannel data, Clock::time_point now);

  size_t header_room() const override { return kDataV2Header + kMaxFrameBytes; }
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
  // Floating (UDP): a data packet from a new address that decrypts moves the session there.
  bool on_new_path(std::span<const uint8_t> first, Clock::time_point now, tunnel::TunnelIo& io) override;

  const DataChannel& data() const { return data_; }
  uint8_t key_id() const { return ctl_->key_id(); }
  uint64_t renegotiations() const { return renegotiations_; }

 private:
  // A key state of its own: the TLS session and control channel of a renegotiation.
  struct KeyState {
    std::unique_ptr<worker::TlsServer> tls;
    std::unique_ptr<ControlChannel> ctl;
    Clock::time_point started{};
    bool verified = false;  // a packet of it passed the wrap and session-id checks
    bool got_key_method = false;
    std::optional<ClientKeyMethod> client_km;  // both sides' randoms, for PRF keys
    std::optional<ServerKeyMethod> server_km;
  };
  ControlChannel* channel_for(uint8_t op_byte, Clock::time_point now);
  void start_key_state(bool ours_first, Clock::time_point now);
  void advance_key_state(Clock::time_point now);
  bool renegotiation_auth_ok(const ClientKeyMethod& km);
  void switch_keys(Clock::time_point now);
  // True when the packet authenticated (whatever became of it then).
  bool on_data(std::span<uint8_t> pkt, Clock::time_point now, tunnel::TunnelIo& io);
  void on_control(std::span<const uint8_t> pkt, Clock::time_point now, tunnel::TunnelIo& io);
  void flush_control(Clock::time_point now, tunnel::TunnelIo& io);
  void send_ping(Clock::time_point now, tunnel::TunnelIo& io);
  void end(EndReason why) {
    if (!end_) end_ = why;
  }

  OvpnSessionSettings s_;
  ControlChannel* ctl_;                 // the live key state's channel
  std::optional<KeyState> live_owned_;  // ... when a renegotiation made it (else the shell owns it)
  std::optional<KeyState> next_;        // a renegotiation in progress
  ControlChannel* retired_ = nullptr;   // the previous key state's channel (late ACKs, retransmits)
  std::optional<KeyState> retired_owned_;
  DataChannel data_;
  std::optional<DataChannel> lame_;  // the previous key: still decrypts for the transition window
  Clock::time_point lame_until_{};
  Clock::time_point key_since_{};
  uint64_t renegotiations_ = 0;
  Clock::time_point start_, last_rx_, last_tx_, last_data_;
  std::optional<EndReason> end_;
  uint64_t bytes_in_ = 0, bytes_out_ = 0, dropped_ = 0;
  std::vector<uint8_t> scratch_;  // a record we decrypt in place
  uint8_t ping_buf_[kDataV2Header + kMaxFrameBytes + 16]{};
  // Seals the plaintext at buf[kDataV2Header + kMaxFrameBytes, +len) with its framing.
  Result<std::span<const uint8_t>> seal_framed(std::span<uint8_t> buf, size_t len);
};

}  // namespace sslvpn::ovpn
