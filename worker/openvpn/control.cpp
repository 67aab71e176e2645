#include "worker/openvpn/control.hpp"

#include <cerrno>
#include <cstring>

#include "common/secret_bytes.hpp"

namespace sslvpn::ovpn {
namespace {

// openvpn itself puts at most 4 ACKs on a packet that carries a message.
constexpr size_t kAcksOnMessage = 4;

}  // namespace

ControlChannel::ControlChannel(ControlWrap& wrap, worker::TlsServer& tls, bool tcp, SessionId own)
    : wrap_(wrap), tls_(tls), tcp_(tcp), reliable_(!tcp), own_(own) {
  tls_.use_memory_transport(this, &ControlChannel::push_cb, &ControlChannel::pull_cb,
                            &ControlChannel::pull_timeout_cb);
}

ssize_t ControlChannel::push_cb(gnutls_transport_ptr_t p, const void* data, size_t len) {
  auto* self = static_cast<ControlChannel*>(p);
  const auto* b = static_cast<const uint8_t*>(data);
  self->tls_out_.insert(self->tls_out_.end(), b, b + len);
  return static_cast<ssize_t>(len);
}

ssize_t ControlChannel::pull_cb(gnutls_transport_ptr_t p, void* data, size_t len) {
  auto* self = static_cast<ControlChannel*>(p);
  size_t avail = self->tls_in_.size() - self->tls_in_pos_;
  if (avail == 0) {
    gnutls_transport_set_errno(self->tls_.session(), EAGAIN);
    return -1;
  }
  size_t n = std::min(avail, len);
  std::memcpy(data, self->tls_in_.data() + self->tls_in_pos_, n);
  self->tls_in_pos_ += n;
  if (self->tls_in_pos_ == self->tls_in_.size()) {
    secure_wipe(self->tls_in_.data(), self->tls_in_.size());
    self->tls_in_.clear();
    self->tls_in_pos_ = 0;
  }
  return static_cast<ssize_t>(n);
}

int ControlChannel::pull_timeout_cb(gnutls_transport_ptr_t p, unsigned) {
  auto* self = static_cast<ControlChannel*>(p);
  return self->tls_in_.size() > self->tls_in_pos_ ? 1 : 0;
}

Result<void> ControlChannel::start_from_reset(const ControlPacket& reset) {
  if ((reset.opcode() != Op::HardResetClientV2 && reset.opcode() != Op::HardResetClientV3) || !reset.msg_id ||
      *reset.msg_id != 0)
    return Errc::State;
  peer_ = reset.sid;
  have_peer_ = true;
  key_id_ = 0;
  (void)reliable_.receive(0, reset.op, {});
  (void)reliable_.pop();
  (void)reliable_.send(op_byte(Op::HardResetServerV2, 0), {});
  return {};
}

void ControlChannel::start_after_cookie(SessionId peer) {
  peer_ = peer;
  have_peer_ = true;
  reliable_.start_at(1, 1);
}

void ControlChannel::start_key_state(uint8_t key_id, SessionId peer, bool ours_first) {
  peer_ = peer;
  have_peer_ = true;
  key_id_ = key_id & 7;
  soft_reset_sent_ = ours_first;
  if (ours_first) (void)reliable_.send(op_byte(Op::SoftResetV1, key_id_), {});
}

Result<void> ControlChannel::on_wire(std::span<const uint8_t> wire, Clock::time_point) {
  auto plain = wrap_.unwrap(wire);
  if (!plain.ok()) {
    ++dropped_;
    return plain.error();
  }
  auto pkt = parse_control(*plain);
  if (!pkt.ok()) {
    ++dropped_;
    return pkt.error();
  }
  if (!have_peer_ || pkt->sid != peer_ || pkt->key_id() != key_id_) {
    ++dropped_;
    return Errc::State;
  }
  if (!pkt->acks.empty()) {
    if (pkt->ack_sid != own_) {
      ++dropped_;
      return Errc::State;
    }
    for (uint32_t id : pkt->acks) (void)reliable_.ack(id);
  }
  if (pkt->msg_id) {
    if (!reliable_.receive(*pkt->msg_id, pkt->op, std::move(pkt->payload))) return Errc::Limit;
  }
  while (auto m = reliable_.pop()) {
    Op op = op_of(m->op);
    if (op == Op::ControlV1 || op == Op::ControlWkcV1) {
      if (tls_in_.size() + m->payload.size() > kMaxTlsIn) {
        failed_ = true;
        error_ = "too much TLS data queued";
        return Errc::Limit;
      }
      tls_in_.insert(tls_in_.end(), m->payload.begin(), m->payload.end());
      secure_wipe(m->payload.data(), m->payload.size());
    }
    // A repeated hard reset (id 0) was acknowledged above. The client's soft reset opens a
    // renegotiation: ours answers it (message 0 of this key state).
    if (op == Op::SoftResetV1 && !soft_reset_sent_) {
      soft_reset_sent_ = true;
      (void)reliable_.send(op_byte(Op::SoftResetV1, key_id_), {});
    }
  }
  pump_tls();
  return {};
}

void ControlChannel::pump_tls() {
  if (failed_) return;
  if (!handshake_done_) {
    int r = gnutls_handshake(tls_.session());
    if (r == 0) {
      handshake_done_ = true;
    } else if (gnutls_error_is_fatal(r)) {
      failed_ = true;
      error_ = gnutls_strerror(r);
    }
  }
  if (handshake_done_) {
    char buf[kMaxMessage + 256];
    for (int i = 0; i < 64; ++i) {
      ssize_t n = gnutls_record_recv(tls_.session(), buf, sizeof buf);
      if (n > 0) {
        if (messages_.size() < 16) messages_.emplace_back(buf, static_cast<size_t>(n));
        secure_wipe(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) break;
      if (n == 0 || gnutls_error_is_fatal(static_cast<int>(n))) {
        failed_ = true;
        error_ = n == 0 ? "the client closed TLS" : gnutls_strerror(static_cast<int>(n));
      }
      break;
    }
  }
  flush_tls_out();
}

void ControlChannel::flush_tls_out() {
  size_t at = 0;
  while (at < tls_out_.size()) {
    size_t n = std::min(kMaxPayload, tls_out_.size() - at);
    std::vector<uint8_t> part(tls_out_.begin() + static_cast<long>(at),
                              tls_out_.begin() + static_cast<long>(at + n));
    if (!reliable_.send(op_byte(Op::ControlV1, key_id_), std::move(part))) {
      failed_ = true;
      error_ = "control channel send queue full";
      break;
    }
    at += n;
  }
  tls_out_.clear();
}

std::optional<std::string> ControlChannel::take_message() {
  if (messages_.empty()) return std::nullopt;
  std::string m = std::move(messages_.front());
  messages_.pop_front();
  return m;
}

Result<void> ControlChannel::send_message(std::string_view msg) {
  if (!handshake_done_ || failed_) return Errc::State;
  if (msg.size() > kMaxMessage) return Errc::Limit;
  ssize_t n = gnutls_record_send(tls_.session(), msg.data(), msg.size());
  if (n < 0) return Errc::Crypto;
  flush_tls_out();
  return {};
}

std::vector<uint8_t> ControlChannel::build(uint8_t op, std::optional<uint32_t> id,
                                           std::span<const uint8_t> payload, size_t max_acks) {
  ControlPacket p;
  p.op = op;
  p.sid = own_;
  p.acks = reliable_.take_acks(max_acks);
  p.ack_sid = peer_;
  p.msg_id = id;
  p.payload.assign(payload.begin(), payload.end());
  return wrap_.wrap(serialize_control(p));
}

std::vector<std::vector<uint8_t>> ControlChannel::take_output(Clock::time_point now) {
  std::vector<std::vector<uint8_t>> out;
  for (const ReliableMessage* m : reliable_.due(now))
    out.push_back(build(m->op, m->id, m->payload, kAcksOnMessage));
  for (int i = 0; i < 8 && reliable_.acks_pending(); ++i)
    out.push_back(build(op_byte(Op::AckV1, key_id_), std::nullopt, {}, kMaxAcks));
  return out;
}

Clock::time_point ControlChannel::next_deadline() const {
  if (reliable_.acks_pending()) return Clock::time_point::min();
  return reliable_.next_deadline();
}

}  // namespace sslvpn::ovpn
