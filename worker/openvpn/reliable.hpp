// OpenVPN's reliability layer (protocols.md C4), I/O-free with the clock passed in: message
// ids per direction from 0, in-order delivery, ACKs for everything that carries an id (replays
// included), at most kSendWindow messages unacknowledged, retransmission after 2 s with
// exponential back-off (not over TCP), and bounded queues both ways.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace sslvpn::ovpn {

using Clock = std::chrono::steady_clock;

struct ReliableMessage {
  uint8_t op = 0;  // opcode and key id
  uint32_t id = 0;
  std::vector<uint8_t> payload;
};

class Reliable {
 public:
  // The client drops ids at or beyond its next expected + 12: at most 6 of ours in flight.
  static constexpr size_t kSendWindow = 6;
  // Ours: ids at or beyond next expected + kRecvWindow are dropped unacknowledged.
  static constexpr uint32_t kRecvWindow = 12;
  // Messages waiting to be sent (a TLS flight and a push reply fit many times).
  static constexpr size_t kMaxQueued = 64;
  static constexpr std::chrono::seconds kFirstTimeout{2};
  static constexpr std::chrono::seconds kMaxTimeout{16};

  explicit Reliable(bool retransmit = true) : retransmit_(retransmit) {}

  // Starts the counters somewhere else than 0 (a session the stateless handshake created:
  // both resets are behind it).
  void start_at(uint32_t next_send, uint32_t next_recv) {
    next_send_id_ = next_send;
    next_recv_ = next_recv;
  }

  // --- receiving
  // A message with an id. False: beyond the window (dropped, not acknowledged).
  bool receive(uint32_t id, uint8_t op, std::vector<uint8_t> payload);
  // The next message in order, if it arrived.
  std::optional<ReliableMessage> pop();
  // Up to `max` ids to acknowledge (taken from the pending list).
  std::vector<uint32_t> take_acks(size_t max);
  bool acks_pending() const { return !acks_.empty(); }
  uint32_t next_expected() const { return next_recv_; }

  // --- sending
  // Queues a message (its id is the next one). False when kMaxQueued are waiting.
  bool send(uint8_t op, std::vector<uint8_t> payload);
  // The peer acknowledged `id`. False if no such message was in flight.
  bool ack(uint32_t id);
  // The messages to (re)transmit now; their timers are re-armed.
  std::vector<const ReliableMessage*> due(Clock::time_point now);
  // When due() next has something (time_point::max() when nothing is in flight or waiting).
  Clock::time_point next_deadline() const;
  // Everything sent was acknowledged.
  bool idle() const { return out_.empty(); }
  size_t queued() const { return out_.size(); }
  uint64_t retransmissions() const { return retransmissions_; }

 private:
  struct Slot {
    ReliableMessage msg;
    bool sent = false;
    Clock::time_point next{};
    Clock::duration timeout = kFirstTimeout;
  };
  bool retransmit_;
  uint32_t next_send_id_ = 0;
  uint32_t next_recv_ = 0;
  std::deque<Slot> out_;                    // oldest first; acked ones are erased
  std::map<uint32_t, ReliableMessage> in_;  // arrived ahead of next_recv_
  std::vector<uint32_t> acks_;
  uint64_t retransmissions_ = 0;
};

}  // namespace sslvpn::ovpn
