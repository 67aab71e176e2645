// CSTP framing (protocols.md A4): 'S' 'T' 'F' 0x01 | length be16 (payload only) | type | 0x00.
// openconnect requires exactly one frame per TLS record from us.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/result.hpp"

namespace sslvpn::cstp {

inline constexpr size_t kHeaderSize = 8;
inline constexpr size_t kMaxPayload = 16384 - kHeaderSize;  // one TLS record

enum class PacketType : uint8_t {
  Data = 0x00,
  DpdRequest = 0x03,
  DpdResponse = 0x04,
  Disconnect = 0x05,
  Keepalive = 0x07,
  Compressed = 0x08,
  Terminate = 0x09,
};

// Reason byte in a DISCONNECT payload: the user logged out (openconnect's cstp_bye).
inline constexpr uint8_t kDisconnectUserLogout = 0xb0;

struct Frame {
  PacketType type;
  std::span<const uint8_t> payload;  // borrows the input
};

// Parses the frame at the start of `in`; `consumed` gets its size. Errors: Truncated (less
// than a frame), Malformed (bad magic or reserved byte).
Result<Frame> parse_frame(std::span<const uint8_t> in, size_t* consumed) noexcept;

// Writes the 8-byte header for a payload of `len` bytes.
void write_header(std::span<uint8_t, kHeaderSize> out, PacketType type, uint16_t len) noexcept;

}  // namespace sslvpn::cstp
