// OpenVPN's control channel for one key state: the session ids, the wrap (tls-auth/crypt), the
// reliability layer and TLS over it (protocols.md C3-C5). Wire packets in, wire packets out;
// TLS runs on GnuTLS with a memory transport, so this class does no I/O of its own (the
// handshake's signature goes to sec-mod through TlsServer's key callbacks).
#pragma once

#include <gnutls/gnutls.h>

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "worker/openvpn/reliable.hpp"
#include "worker/openvpn/wire.hpp"
#include "worker/openvpn/wrap.hpp"
#include "worker/tls_server.hpp"

namespace sslvpn::ovpn {

class ControlChannel {
 public:
  // TLS bytes per control packet: with the header, 4 ACKs and tls-crypt it stays under
  // openvpn's tls-mtu of 1250.
  static constexpr size_t kMaxPayload = 1100;
  // A control message (one TLS record) is at most this long: the client reads 2048.
  static constexpr size_t kMaxMessage = 2048;
  // TLS ciphertext waiting to be read by GnuTLS: far more than a handshake flight.
  static constexpr size_t kMaxTlsIn = 64 * 1024;

  ControlChannel(ControlWrap& wrap, worker::TlsServer& tls, bool tcp, SessionId own);
  ControlChannel(const ControlChannel&) = delete;
  ControlChannel& operator=(const ControlChannel&) = delete;

  // The client's HARD_RESET_CLIENT_V2 (message 0): queues our HARD_RESET_SERVER_V2.
  Result<void> start_from_reset(const ControlPacket& reset);
  // After the stateless handshake: both resets are behind (ours was message 0, the client's
  // too); the client's first CONTROL or ACK follows.
  void start_after_cookie(SessionId peer);
  // Renegotiation (protocols.md C11): a new key state on the same session ids, message ids
  // from 0 again. `ours_first`: the server starts it (our SOFT_RESET_V1 goes out now);
  // otherwise the client's SOFT_RESET_V1 arrives through on_wire and ours answers it.
  void start_key_state(uint8_t key_id, SessionId peer, bool ours_first);
  uint8_t key_id() const { return key_id_; }

  // A control packet from the client (wire bytes). Errors are reasons to drop it.
  Result<void> on_wire(std::span<const uint8_t> wire, Clock::time_point now);
  // Packets to send now (wrapped).
  std::vector<std::vector<uint8_t>> take_output(Clock::time_point now);
  Clock::time_point next_deadline() const;

  bool tls_up() const { return handshake_done_; }
  bool tls_failed() const { return failed_; }
  const std::string& error() const { return error_; }
  // A whole control message the client sent (after the handshake), if one is waiting.
  std::optional<std::string> take_message();
  // Sends one message as one TLS record. Limit: longer than kMaxMessage; State: TLS not up.
  Result<void> send_message(std::string_view msg);
  worker::TlsServer& tls() { return tls_; }
  ControlWrap& wrap() { return wrap_; }
  bool tcp() const { return tcp_; }
  const SessionId& own_sid() const { return own_; }
  const SessionId& peer_sid() const { return peer_; }
  uint64_t dropped() const { return dropped_; }
  bool idle() const { return reliable_.idle() && !reliable_.acks_pending(); }

 private:
  static ssize_t push_cb(gnutls_transport_ptr_t p, const void* data, size_t len);
  static ssize_t pull_cb(gnutls_transport_ptr_t p, void* data, size_t len);
  static int pull_timeout_cb(gnutls_transport_ptr_t p, unsigned ms);
  void pump_tls();
  void flush_tls_out();
  std::vector<uint8_t> build(uint8_t op, std::optional<uint32_t> id, std::span<const uint8_t> payload,
                             size_t max_acks);

  ControlWrap& wrap_;
  worker::TlsServer& tls_;
  bool tcp_;
  Reliable reliable_;
  SessionId own_{};
  SessionId peer_{};
  bool have_peer_ = false;
  uint8_t key_id_ = 0;
  bool soft_reset_sent_ = true;  // key 0 starts with the hard resets
  std::vector<uint8_t> tls_in_;  // ciphertext from the client, in order, not yet read by GnuTLS
  size_t tls_in_pos_ = 0;
  std::vector<uint8_t> tls_out_;  // ciphertext from GnuTLS, not yet cut into packets
  std::deque<std::string> messages_;
  bool handshake_done_ = false;
  bool failed_ = false;
  std::string error_;
  uint64_t dropped_ = 0;
};

}  // namespace sslvpn::ovpn
