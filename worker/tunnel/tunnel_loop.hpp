// The worker's tunnel phase, for every protocol: a poll() loop between the stream transport,
// the TUN device, main's channel and the datagram channel, driving the protocol's
// TunnelEngine (worker/tunnel/engine.hpp). Back-pressure instead of loss: while the stream
// cannot take more, the TUN device is not read; while the TUN device cannot take a packet,
// nothing is read from the client.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "ipc.pb.h"
#include "worker/tunnel/engine.hpp"
#include "worker/tunnel/socket_mark.hpp"
#include "worker/tunnel/traffic_policy.hpp"
#include "worker/tunnel/tun_io.hpp"

namespace sslvpn::tunnel {

class TunnelLoop final : public TunnelIo {
 public:
  // `datagrams` may be null: the tunnel then runs on the stream alone.
  TunnelLoop(Logger& log, StreamTransport& stream, TunnelEngine& engine, UniqueFd tun, IpcChannel& main,
             const ipc::TunnelParams& params, std::unique_ptr<DatagramFactory> datagrams);

  // Runs until the tunnel ends; returns what main is told.
  ipc::SessionEnd run();

  void to_tun(std::span<const uint8_t> packet) override;
  void to_stream(std::span<const uint8_t> frame) override;
  void to_datagram(std::span<const uint8_t> record) override;
  void to_main(const ipc::WorkerToMain& m) override;

 private:
  // Both readers: true when they stopped because the socket had nothing more (not at the
  // batch's end, a blocked device or the receive budget).
  bool read_stream(Clock::time_point now);
  void read_tun(Clock::time_point now);
  void send_packet(size_t len, Clock::time_point now);
  void flush_stream();
  void flush_tun();
  // The stream is over: the tunnel ends, unless the engine carries on without it.
  void check_stream(Clock::time_point now);
  bool stream_open() const { return !stream_failed_; }
  // One message from main; false when none was waiting (or the channel failed).
  bool on_main_message();
  // Tells main which of the datagrams it passed to check have been (PathChecked), if any since.
  void ack_path_checks();
  void on_udp_socket(const ipc::UdpSocket& m, UniqueFd fd);
  bool read_datagrams(Clock::time_point now);
  void drive_candidate(Clock::time_point now);
  bool datagram_ready() const { return dgram_ && dgram_->established(); }
  void report_stats(Clock::time_point now, bool force, uint32_t moved_to_handoff = 0);
  int poll_timeout_ms(Clock::time_point now) const;

  Logger& log_;
  StreamTransport& stream_;
  TunnelEngine& engine_;
  worker::TunIo tun_;
  IpcChannel& main_;
  SocketMark mark_;                             // net-priority, on each socket to the client
  std::unique_ptr<DatagramFactory> factory_;    // null when no datagram channel was offered
  std::unique_ptr<DatagramChannel> dgram_;      // the established channel, if any
  std::unique_ptr<DatagramChannel> candidate_;  // a handshake in progress (never the live channel)
  Clock::time_point candidate_since_;
  Clock::time_point candidate_due_;  // when it is driven even without a datagram
  bool stream_failed_ = false;       // the client's connection broke (or the engine is done with it)
  bool stream_closed_ = false;       // ... and the tunnel goes on without it (GlobalProtect over ESP)
  bool main_gone_ = false;
  bool stream_blocked_ = false;  // queued records wait for the socket
  Clock::time_point next_stats_;
  // rx/tx-data-per-sec (unlimited unless set); paused while in debt. Each record from the
  // client costs what it carried on the wire or what reached the device from it, whichever is
  // more (a compressed record expands).
  ByteBudget rx_budget_, tx_budget_;
  size_t rx_delivered_ = 0;  // bytes given to the device from the record being read
  bool rx_paused_ = false, tx_paused_ = false;
  uint64_t reported_in_ = 0, reported_out_ = 0;
  std::string reported_dgram_;  // the datagram channel's description main has
  bool reported_once_ = false;
  uint32_t checked_handoff_ = 0;  // the last datagram main passed to check (UdpSocket.handoff)
  bool checks_unacked_ = false;   // ... and main has not been told yet
  // Buffers: one record in; one TUN packet out, after the engine's header room.
  static constexpr size_t kMaxHeaderRoom = 64;
  static constexpr size_t kMaxRecord = 16384 + 64;
  uint8_t rx_[kMaxRecord];
  uint8_t tx_[kMaxHeaderRoom + 16384];
};

}  // namespace sslvpn::tunnel
