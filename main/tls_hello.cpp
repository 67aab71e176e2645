#include "main/tls_hello.hpp"

#include <algorithm>

#include "common/byte_reader.hpp"

namespace sslvpn::mainproc {
namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHello = 1;
constexpr uint16_t kExtSessionTicket = 35;  // RFC 5077
constexpr uint16_t kExtPreSharedKey = 41;   // RFC 8446 4.2.11

// Skips a vector with an n-byte length prefix.
bool skip_vector(ByteReader& r, int n) {
  std::optional<uint32_t> len;
  if (n == 1) {
    if (auto v = r.u8()) len = *v;
  } else if (auto v = r.be16()) {
    len = *v;
  }
  return len && r.skip(*len);
}

}  // namespace

HelloKind classify_client_hello(std::span<const uint8_t> bytes) noexcept {
  ByteReader rec(bytes);
  auto type = rec.u8();
  auto version = rec.be16();
  auto length = rec.be16();
  if (!type || !version || !length || *type != kHandshakeRecord || (*version >> 8) != 3)
    return HelloKind::Unknown;
  // The hello within this first record (a hello split over records is rare and stays Unknown).
  auto body = rec.take(std::min<size_t>(*length, rec.remaining()));
  if (!body) return HelloKind::Unknown;
  ByteReader r(*body);
  auto hs = r.u8();
  auto hs_len = r.be24();
  if (!hs || !hs_len || *hs != kClientHello) return HelloKind::Unknown;
  if (!r.skip(2 + 32) || !skip_vector(r, 1) || !skip_vector(r, 2) || !skip_vector(r, 1))
    return HelloKind::Unknown;             // version, random, session id, cipher suites, compression
  if (r.empty()) return HelloKind::Fresh;  // no extensions at all
  auto ext_len = r.be16();
  if (!ext_len) return HelloKind::Unknown;
  // The extensions as far as they are here: pre_shared_key is the last one and may carry a
  // large ticket, so a header seen is enough even when its body is cut off.
  auto exts = r.take(std::min<size_t>(*ext_len, r.remaining()));
  bool whole = exts && exts->size() == *ext_len;
  ByteReader e(exts ? *exts : std::span<const uint8_t>{});
  while (!e.empty()) {
    auto ext_type = e.be16();
    auto len = e.be16();
    if (!ext_type || !len) return HelloKind::Unknown;
    if (*ext_type == kExtPreSharedKey || (*ext_type == kExtSessionTicket && *len > 0))
      return HelloKind::Resumption;
    if (!e.skip(*len)) return HelloKind::Unknown;
  }
  if (!whole) return HelloKind::Unknown;
  return HelloKind::Fresh;
}

}  // namespace sslvpn::mainproc
