// OpenVPN's packet layer (protocols.md C1-C2): opcodes, session ids, the ACK block and the
// control packet, in the unwrapped ("no tls-auth") layout. Pure functions of bytes; the
// wrapping (tls-auth, tls-crypt) is wrap.hpp's.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::ovpn {

enum class Op : uint8_t {
  SoftResetV1 = 3,
  ControlV1 = 4,
  AckV1 = 5,
  DataV1 = 6,
  HardResetClientV2 = 7,
  HardResetServerV2 = 8,
  DataV2 = 9,
  HardResetClientV3 = 10,
  ControlWkcV1 = 11,
};

inline constexpr uint8_t op_byte(Op op, uint8_t key_id) {
  return static_cast<uint8_t>(static_cast<uint8_t>(op) << 3 | (key_id & 7));
}
inline constexpr Op op_of(uint8_t b) {
  return static_cast<Op>(b >> 3);
}
inline constexpr uint8_t key_id_of(uint8_t b) {
  return b & 7;
}
inline constexpr bool is_data(uint8_t b) {
  return op_of(b) == Op::DataV1 || op_of(b) == Op::DataV2;
}
// An opcode of the control channel this server speaks (key-method 2 only).
bool is_control(uint8_t b);

using SessionId = std::array<uint8_t, 8>;

// At most this many ids in one ACK block (openvpn's RELIABLE_ACK_SIZE).
inline constexpr size_t kMaxAcks = 8;

struct ControlPacket {
  uint8_t op = 0;  // the whole first byte (opcode and key id)
  SessionId sid{};
  std::vector<uint32_t> acks;      // at most kMaxAcks
  SessionId ack_sid{};             // the peer's session id, present when acks is not empty
  std::optional<uint32_t> msg_id;  // absent in ACK_V1
  std::vector<uint8_t> payload;

  Op opcode() const { return op_of(op); }
  uint8_t key_id() const { return key_id_of(op); }
};

// Parses the unwrapped layout: op | sid | acks | [msg_id] | payload. Malformed: not a control
// opcode, an ACK block longer than kMaxAcks; Truncated: cut short.
Result<ControlPacket> parse_control(std::span<const uint8_t> in);
// The unwrapped layout of `p` (ACK_V1 carries no msg_id).
std::vector<uint8_t> serialize_control(const ControlPacket& p);

// The session id of the sender, for any control packet (wrapped or not: the first 9 bytes are
// in clear). nullopt: too short or not a control packet.
std::optional<SessionId> sender_sid(std::span<const uint8_t> in);

// Big-endian helpers for building packets.
inline void put_be32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}
inline void put_be16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}

}  // namespace sslvpn::ovpn
