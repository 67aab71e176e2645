// GlobalProtect's HTTPS tunnel framing and its magic ping, as pure functions of bytes.
//
//   magic 1a2b3c4d | ethertype be16 (0x0800, 0x86dd; 0 keepalive) | length be16 | 01 00 00 00 00 00 00 00 |
//   packet
//
// One frame per TLS record each way. A keepalive is the header alone, ethertype and length 0
// and the last eight bytes zero; the server echoes it at once.
//
// The magic ping: the client proves a path (ESP, or the HTTPS tunnel) by sending ICMP echo
// requests from its tunnel address to the getconfig gw-address with a payload that starts
// "monitor\0\0pan ha "; the server answers with the matching echo reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/ip_addr.hpp"
#include "common/result.hpp"

namespace sslvpn::gp {

inline constexpr size_t kFrameHeader = 16;
inline constexpr uint32_t kFrameMagic = 0x1a2b3c4d;
inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherIpv6 = 0x86dd;
// The largest packet a frame carries (a TLS record holds 16 kB).
inline constexpr size_t kMaxFramePayload = 16384 - kFrameHeader;

struct Frame {
  bool keepalive = false;
  uint16_t ethertype = 0;
  std::span<const uint8_t> packet;  // empty for a keepalive
};

// One frame at the start of `in`; `consumed` says how many bytes it took. Truncated: more bytes
// are needed. Malformed: a bad magic, an ethertype other than IPv4/IPv6 (or 0 with a length),
// a length that disagrees with the packet's own version.
Result<Frame> parse_frame(std::span<const uint8_t> in, size_t* consumed);

// Writes the header for a packet of `len` bytes into out[0..16); the ethertype follows the
// packet's IP version (first byte of `packet`).
void write_frame_header(uint8_t* out, std::span<const uint8_t> packet);
// The 16-byte keepalive frame.
void write_keepalive(uint8_t* out);

// The magic ping's 16-byte payload prefix.
inline constexpr uint8_t kMagicPayload[16] = {'m', 'o', 'n', 'i', 't', 'o', 'r', 0,
                                              0,   'p', 'a', 'n', ' ', 'h', 'a', ' '};

// Whether `packet` is an IPv4 ICMP echo request to `gw` carrying the magic payload.
bool is_magic_ping(std::span<const uint8_t> packet, const IpAddr& gw);
// Writes the echo reply to a magic ping into `out` (at least packet.size() bytes); returns its
// size, or 0 if `packet` is not one.
size_t build_magic_reply(std::span<const uint8_t> packet, const IpAddr& gw, std::span<uint8_t> out);

}  // namespace sslvpn::gp
