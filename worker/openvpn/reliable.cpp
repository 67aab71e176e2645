#include "worker/openvpn/reliable.hpp"

#include <algorithm>

namespace sslvpn::ovpn {
namespace {

// Acks waiting to go out: enough for a window's worth of replays and more; beyond it the
// oldest are forgotten (the peer retransmits and is acknowledged again).
constexpr size_t kMaxPendingAcks = 32;

}  // namespace

bool Reliable::receive(uint32_t id, uint8_t op, std::vector<uint8_t> payload) {
  // Ids are compared modulo 2^32 as openvpn does; a session never gets near the wrap.
  uint32_t ahead = id - next_recv_;
  bool old = ahead > 0x80000000u;  // below next_recv_: a replay, acknowledged again
  if (!old && ahead >= kRecvWindow) return false;
  if (std::find(acks_.begin(), acks_.end(), id) == acks_.end()) {
    if (acks_.size() >= kMaxPendingAcks) acks_.erase(acks_.begin());
    acks_.push_back(id);
  }
  if (!old && !in_.count(id)) in_.emplace(id, ReliableMessage{op, id, std::move(payload)});
  return true;
}

std::optional<ReliableMessage> Reliable::pop() {
  auto it = in_.find(next_recv_);
  if (it == in_.end()) return std::nullopt;
  ReliableMessage m = std::move(it->second);
  in_.erase(it);
  ++next_recv_;
  return m;
}

std::vector<uint32_t> Reliable::take_acks(size_t max) {
  size_t n = std::min(max, acks_.size());
  std::vector<uint32_t> out(acks_.begin(), acks_.begin() + static_cast<long>(n));
  acks_.erase(acks_.begin(), acks_.begin() + static_cast<long>(n));
  return out;
}

bool Reliable::send(uint8_t op, std::vector<uint8_t> payload) {
  if (out_.size() >= kMaxQueued) return false;
  Slot s;
  s.msg = ReliableMessage{op, next_send_id_++, std::move(payload)};
  out_.push_back(std::move(s));
  return true;
}

bool Reliable::ack(uint32_t id) {
  for (auto it = out_.begin(); it != out_.end(); ++it) {
    if (it->msg.id == id && it->sent) {
      out_.erase(it);
      return true;
    }
  }
  return false;
}

std::vector<const ReliableMessage*> Reliable::due(Clock::time_point now) {
  std::vector<const ReliableMessage*> out;
  // Only the oldest kSendWindow ids may be in flight: the window is counted from the oldest
  // unacknowledged id, as the client's receive window is.
  if (out_.empty()) return out;
  uint32_t base = out_.front().msg.id;
  for (auto& s : out_) {
    if (s.msg.id - base >= kSendWindow) break;
    if (!s.sent) {
      s.sent = true;
      s.next = now + s.timeout;
      out.push_back(&s.msg);
    } else if (retransmit_ && now >= s.next) {
      s.timeout = std::min<Clock::duration>(s.timeout * 2, kMaxTimeout);
      s.next = now + s.timeout;
      ++retransmissions_;
      out.push_back(&s.msg);
    }
  }
  return out;
}

Clock::time_point Reliable::next_deadline() const {
  Clock::time_point t = Clock::time_point::max();
  if (out_.empty()) return t;
  uint32_t base = out_.front().msg.id;
  for (const auto& s : out_) {
    if (s.msg.id - base >= kSendWindow) break;
    if (!s.sent) return Clock::time_point::min();
    if (retransmit_) t = std::min(t, s.next);
  }
  return t;
}

}  // namespace sslvpn::ovpn
