// The worker's tunnel phase: a poll() loop between the TLS socket, the TUN device and main's
// channel, driving a CstpSession. Back-pressure instead of loss: while TLS cannot take more,
// the TUN device is not read; while the TUN device cannot take a packet, TLS is not read.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "common/ipc_channel.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "ipc.pb.h"
#include "worker/anyconnect/cstp_session.hpp"
#include "worker/tunnel/traffic_policy.hpp"
#include "worker/anyconnect/dtls_channel.hpp"
#include "worker/tls_server.hpp"
#include "worker/tunnel/tun_io.hpp"

namespace sslvpn::worker {

class TunnelLoop final : public cstp::Sink {
 public:
  TunnelLoop(Logger& log, TlsServer& tls, UniqueFd tun, IpcChannel& main, const ipc::TunnelParams& params,
             std::optional<DtlsSetup> dtls);

  // Runs until the tunnel ends; returns what main is told.
  ipc::SessionEnd run();

  void to_tun(std::span<const uint8_t> packet) override;
  void to_client(std::span<const uint8_t> frame) override;
  void to_dtls(std::span<const uint8_t> record) override;

 private:
  void read_tls(cstp::Clock::time_point now);
  void read_tun(cstp::Clock::time_point now);
  void send_packet(size_t len, cstp::Clock::time_point now);
  void flush_tls();
  void flush_tun();
  void on_main_message();
  void on_udp_socket(const ipc::UdpSocket& m, UniqueFd fd);
  void read_dtls(cstp::Clock::time_point now);
  void drive_candidate(cstp::Clock::time_point now);
  bool dtls_ready() const { return dtls_ && dtls_->established(); }
  void report_stats(cstp::Clock::time_point now, bool force);
  int poll_timeout_ms(cstp::Clock::time_point now) const;

  Logger& log_;
  TlsServer& tls_;
  TunIo tun_;
  IpcChannel& main_;
  cstp::CstpSession session_;
  std::optional<DtlsSetup> dtls_setup_;  // set when DTLS was offered to the client
  std::unique_ptr<DtlsChannel> dtls_;       // the established channel, if any
  std::unique_ptr<DtlsChannel> candidate_;  // a handshake in progress (never the live channel)
  cstp::Clock::time_point candidate_since_;
  bool tls_failed_ = false;  // the client's connection broke
  bool main_gone_ = false;
  bool tls_blocked_ = false;  // queued records wait for the socket
  cstp::Clock::time_point next_stats_;
  // rx/tx-data-per-sec (unlimited unless set); paused while in debt.
  cstp::ByteBudget rx_budget_, tx_budget_;
  bool rx_paused_ = false, tx_paused_ = false;
  uint64_t reported_in_ = 0, reported_out_ = 0;
  std::string reported_dtls_;  // the DTLS description main has
  bool reported_once_ = false;
  // Buffers: one TLS record in, one TUN packet (with room for the CSTP header) out.
  uint8_t rx_[16384 + 64];
  uint8_t tx_[cstp::kHeaderSize + cstp::kMaxPayload];
};

}  // namespace sslvpn::worker
