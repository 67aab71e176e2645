// One AnyConnect tunnel as an I/O-free state machine (STYLE rule 18): records from the client
// in (CSTP over TLS, and DTLS over UDP when it is up), packets for the TUN device and records
// for the client out, timers driven by an injected clock.
//
// Channels: the server accepts data on both at all times. It sends data over DTLS while DTLS
// is up; DTLS goes down when the client sends data over CSTP (it fell back) or when nothing
// came over DTLS for kDpdDeadIntervals DPD intervals, and comes back with the next DTLS record.
//
// States:
//   Running -> the tunnel carries data; DPD, idle and session timers run
//   Ended   -> end_reason() says why; the shell sends nothing more but a final DISCONNECT
//
// The shell owns all buffers: outgoing data packets are framed in place (frame_data), so the
// data path copies nothing and allocates nothing per packet.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/ip_addr.hpp"
#include "common/port_filter.hpp"
#include "ipc.pb.h"
#include "worker/anyconnect/compression.hpp"
#include "worker/anyconnect/cstp_frame.hpp"
#include "worker/tunnel/engine.hpp"

namespace sslvpn::cstp {

using Clock = tunnel::Clock;
using EndReason = tunnel::EndReason;
// Where the engine sends what it produces: the tunnel loop (and tests). The stream is the CSTP
// TLS connection, the datagrams are DTLS records.
using Sink = tunnel::TunnelIo;

// DTLS records carry a 1-byte type (the CSTP numbers) before the payload.
inline constexpr size_t kDtlsHeaderSize = 1;

struct SessionSettings {
  uint32_t dpd_s = 90;           // 0 = off
  uint32_t idle_timeout_s = 0;   // 0 = none
  uint32_t session_limit_s = 0;  // seconds left of session-timeout; 0 = none
  std::optional<IpAddr> ipv4;    // the client's addresses: packets from others are dropped
  std::optional<IpNet> ipv6;
  uint32_t dtls_silence_s = 0;              // DTLS is taken down after this long without a DTLS record;
                                            // 0 = kDpdDeadIntervals x dpd (switch-to-tcp-timeout)
  std::vector<IpNet> allowed_destinations;  // restrict-user-to-routes; empty = any
  PortFilter ports;                         // restrict-user-to-ports; empty = any
  Codec cstp_codec = Codec::None;           // compression negotiated per channel
  Codec dtls_codec = Codec::None;
  uint32_t no_compress_limit = 256;  // packets up to this size are sent as they are
};

// The session's settings from what main granted.
SessionSettings settings_from(const ipc::TunnelParams& p);
// The compression methods for each channel: main's first choice (p.compression()) that the
// client offers in X-CSTP-Accept-Encoding / X-DTLS-Accept-Encoding (none for DTLS without DTLS).
void choose_compression(const ipc::TunnelParams& p, std::string_view cstp_offer, std::string_view dtls_offer,
                        bool dtls, SessionSettings* s);

// DPD: a probe after dpd seconds of silence, the peer is dead after this many dpd intervals.
inline constexpr int kDpdDeadIntervals = 3;

class CstpSession final : public tunnel::TunnelEngine {
 public:
  CstpSession(SessionSettings s, Clock::time_point now);

  size_t header_room() const override { return kHeaderSize; }
  // A TLS record from the client (one or more whole frames).
  void on_stream_record(std::span<const uint8_t> record, Clock::time_point now, Sink& sink) override;
  // A DTLS record from the client (type byte + payload).
  void on_datagram(std::span<const uint8_t> record, Clock::time_point now, Sink& sink) override;
  // The DTLS handshake completed; data may go that way.
  void datagram_established(Clock::time_point now) override;
  bool datagram_up() const override { return dtls_up_; }
  // Frames the packet at buf[kHeaderSize .. kHeaderSize+len) as a DTLS record (in place).
  std::span<const uint8_t> frame_datagram(std::span<uint8_t> buf, size_t len, Clock::time_point now) override;
  // Frames the packet at buf[kHeaderSize .. kHeaderSize+len) in place and accounts for it.
  // Returns the whole frame to send as one record.
  std::span<const uint8_t> frame_stream(std::span<uint8_t> buf, size_t len, Clock::time_point now) override;
  // Runs the timers; may send a DPD request or end the session.
  void on_tick(Clock::time_point now, Sink& sink) override;
  // The server ends the tunnel (admin disconnect); `tell_client` sends a DISCONNECT frame.
  void terminate(EndReason why, bool tell_client, Sink& sink) override;
  // Sends a DISCONNECT frame (in any state): openconnect then exits instead of reconnecting.
  void send_goodbye(Sink& sink) override;

  Clock::time_point next_deadline() const override;
  bool ended() const override { return end_.has_value(); }
  EndReason end_reason() const override { return *end_; }
  uint64_t bytes_in() const override { return bytes_in_; }
  uint64_t bytes_out() const override { return bytes_out_; }
  uint64_t dropped() const override { return dropped_; }
  std::string_view stream_compression() const override { return codec_name(s_.cstp_codec); }
  std::string_view datagram_compression() const override { return codec_name(s_.dtls_codec); }
  uint64_t compressed_in() const { return compressed_in_; }
  uint64_t compressed_out() const { return compressed_out_; }

 private:
  enum class Channel { Tls, Dtls };
  void on_frame(const Frame& f, Channel ch, Clock::time_point now, Sink& sink);
  bool source_allowed(std::span<const uint8_t> packet) const;
  void send_control(PacketType type, std::span<const uint8_t> payload, Channel ch, Sink& sink);
  std::chrono::seconds dtls_silence_limit() const;
  // A compressed frame of `len` bytes when the packet at buf[kHeaderSize ..) is worth it, else
  // empty; `type_room` is the bytes before the payload (a CSTP header or the DTLS type byte).
  std::span<const uint8_t> compress_packet(Codec c, std::span<const uint8_t> packet, size_t type_room);
  void end(EndReason why) {
    if (!end_) end_ = why;
  }

  SessionSettings s_;
  Clock::time_point start_, last_rx_, last_data_, last_dpd_sent_, last_dtls_rx_;
  bool dtls_up_ = false;
  std::optional<EndReason> end_;
  uint64_t bytes_in_ = 0, bytes_out_ = 0, dropped_ = 0, compressed_in_ = 0, compressed_out_ = 0;
  // With compression only: frames are compressed into (and packets expanded into) these.
  std::unique_ptr<uint8_t[]> packed_, unpacked_;
  // Control frames (DPD echoes carry the probe payload back): at most one record.
  uint8_t control_[kHeaderSize + kMaxPayload];
};

}  // namespace sslvpn::cstp
