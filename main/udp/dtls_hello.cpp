#include "main/udp/dtls_hello.hpp"

#include "common/byte_reader.hpp"

namespace sslvpn::mainproc {
namespace {

constexpr uint8_t kClientHello = 1;
constexpr size_t kMaxSessionId = 32;

}  // namespace

Result<DtlsDatagramInfo> parse_dtls_datagram(std::span<const uint8_t> d) noexcept {
  ByteReader r(d);
  // record header: type(1) version(2) epoch(2) sequence(6) length(2)
  auto type = r.u8();
  auto version = r.be16();
  if (!type || !version || !r.skip(8)) return Errc::Truncated;
  auto length = r.be16();
  if (!length) return Errc::Truncated;
  // DTLS 1.0 is 0xfeff, 1.2 is 0xfefd; Cisco's pre-standard DTLS is 0x0100.
  if ((*version >> 8) != 0xfe && *version != 0x0100) return Errc::Malformed;
  if (*type < 20 || *type > 25) return Errc::Malformed;
  if (*length > r.remaining()) return Errc::Truncated;
  DtlsDatagramInfo info;
  info.content_type = *type;
  if (*type != kDtlsHandshake) return info;
  // handshake header: msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3)
  auto msg_type = r.u8();
  if (!msg_type || !r.skip(3 + 2 + 3 + 3)) return Errc::Truncated;
  if (*msg_type != kClientHello) return info;
  // ClientHello: client_version(2) random(32) session_id<0..32>
  if (!r.skip(2 + 32)) return Errc::Truncated;
  auto sid_len = r.u8();
  if (!sid_len) return Errc::Truncated;
  if (*sid_len > kMaxSessionId) return Errc::Malformed;
  auto sid = r.take(*sid_len);
  if (!sid) return Errc::Truncated;
  info.client_hello = true;
  info.session_id.assign(sid->begin(), sid->end());
  return info;
}

}  // namespace sslvpn::mainproc
