#include "worker/openvpn/wire.hpp"

#include <algorithm>

#include "common/byte_reader.hpp"

namespace sslvpn::ovpn {

bool is_control(uint8_t b) {
  switch (op_of(b)) {
    case Op::SoftResetV1:
    case Op::ControlV1:
    case Op::AckV1:
    case Op::HardResetClientV2:
    case Op::HardResetServerV2:
    case Op::HardResetClientV3:
    case Op::ControlWkcV1:
      return true;
    default:
      return false;
  }
}

Result<ControlPacket> parse_control(std::span<const uint8_t> in) {
  ByteReader r(in);
  ControlPacket p;
  auto op = r.u8();
  if (!op) return Errc::Truncated;
  if (!is_control(*op)) return Errc::Malformed;
  p.op = *op;
  auto sid = r.take(8);
  auto n = r.u8();
  if (!sid || !n) return Errc::Truncated;
  std::copy(sid->begin(), sid->end(), p.sid.begin());
  if (*n > kMaxAcks) return Errc::Malformed;
  for (unsigned i = 0; i < *n; ++i) {
    auto id = r.be32();
    if (!id) return Errc::Truncated;
    p.acks.push_back(*id);
  }
  if (*n > 0) {
    auto peer = r.take(8);
    if (!peer) return Errc::Truncated;
    std::copy(peer->begin(), peer->end(), p.ack_sid.begin());
  }
  if (p.opcode() != Op::AckV1) {
    auto id = r.be32();
    if (!id) return Errc::Truncated;
    p.msg_id = *id;
  }
  auto rest = r.take(r.remaining());
  p.payload.assign(rest->begin(), rest->end());
  if (p.opcode() == Op::AckV1 && (p.acks.empty() || !p.payload.empty())) return Errc::Malformed;
  return p;
}

std::vector<uint8_t> serialize_control(const ControlPacket& p) {
  std::vector<uint8_t> out;
  out.reserve(1 + 8 + 1 + p.acks.size() * 4 + 8 + 4 + p.payload.size());
  out.push_back(p.op);
  out.insert(out.end(), p.sid.begin(), p.sid.end());
  size_t n = std::min(p.acks.size(), kMaxAcks);
  out.push_back(static_cast<uint8_t>(n));
  for (size_t i = 0; i < n; ++i) put_be32(out, p.acks[i]);
  if (n > 0) out.insert(out.end(), p.ack_sid.begin(), p.ack_sid.end());
  if (p.opcode() != Op::AckV1) put_be32(out, p.msg_id.value_or(0));
  out.insert(out.end(), p.payload.begin(), p.payload.end());
  return out;
}

std::optional<SessionId> sender_sid(std::span<const uint8_t> in) {
  if (in.size() < 9 || !is_control(in[0])) return std::nullopt;
  SessionId s;
  std::copy(in.begin() + 1, in.begin() + 9, s.begin());
  return s;
}

}  // namespace sslvpn::ovpn
