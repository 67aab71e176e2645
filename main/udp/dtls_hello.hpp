// What main reads of a UDP datagram before any state exists: is it a DTLS ClientHello, and
// which session id does it carry? (openconnect puts the X-DTLS-App-ID / X-DTLS-Session-ID
// bytes there, protocols.md A5.) A pure function of the bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/result.hpp"

namespace sslvpn::mainproc {

// DTLS record content types (RFC 6347).
inline constexpr uint8_t kDtlsHandshake = 22;
inline constexpr uint8_t kDtlsApplicationData = 23;

struct DtlsDatagramInfo {
  uint8_t content_type = 0;
  bool client_hello = false;
  std::string session_id;  // raw bytes (0..32) when client_hello
};

// Errors: Truncated / Malformed for anything that is not a well-formed DTLS record header
// (and, for handshakes, a ClientHello header up to its session id).
Result<DtlsDatagramInfo> parse_dtls_datagram(std::span<const uint8_t> d) noexcept;

}  // namespace sslvpn::mainproc
