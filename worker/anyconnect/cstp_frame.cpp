#include "worker/anyconnect/cstp_frame.hpp"

namespace sslvpn::cstp {

Result<Frame> parse_frame(std::span<const uint8_t> in, size_t* consumed) noexcept {
  if (in.size() < kHeaderSize) return Errc::Truncated;
  if (in[0] != 'S' || in[1] != 'T' || in[2] != 'F' || in[3] != 0x01 || in[7] != 0x00) return Errc::Malformed;
  size_t len = static_cast<size_t>(in[4]) << 8 | in[5];
  if (in.size() - kHeaderSize < len) return Errc::Truncated;
  *consumed = kHeaderSize + len;
  return Frame{static_cast<PacketType>(in[6]), in.subspan(kHeaderSize, len)};
}

void write_header(std::span<uint8_t, kHeaderSize> out, PacketType type, uint16_t len) noexcept {
  out[0] = 'S';
  out[1] = 'T';
  out[2] = 'F';
  out[3] = 0x01;
  out[4] = static_cast<uint8_t>(len >> 8);
  out[5] = static_cast<uint8_t>(len);
  out[6] = static_cast<uint8_t>(type);
  out[7] = 0x00;
}

}  // namespace sslvpn::cstp
