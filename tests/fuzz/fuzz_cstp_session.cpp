// The CSTP engine fed arbitrary records: frames parse or end the session, never crash.
#include <cstdint>

#include "worker/anyconnect/cstp_session.hpp"

namespace {
struct NullSink : sslvpn::cstp::Sink {
  void to_tun(std::span<const uint8_t> p) override {
    if (p.size() > sslvpn::cstp::kMaxPayload) __builtin_trap();
  }
  void to_stream(std::span<const uint8_t> f) override {
    if (f.size() > sslvpn::cstp::kHeaderSize + sslvpn::cstp::kMaxPayload) __builtin_trap();
  }
  void to_datagram(std::span<const uint8_t> r) override {
    if (r.size() > sslvpn::cstp::kDtlsHeaderSize + sslvpn::cstp::kMaxPayload) __builtin_trap();
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  sslvpn::cstp::SessionSettings s;
  s.ipv4 = sslvpn::parse_ip("10.0.0.5");
  NullSink sink;
  sslvpn::cstp::CstpSession session(s, sslvpn::cstp::Clock::time_point{});
  // Split the input into records at the first byte's value, to vary record boundaries.
  size_t step = n ? (d[0] % 64) + 8 : 1;
  for (size_t off = 0; off < n; off += step) {
    std::span<const uint8_t> chunk{d + off, std::min(step, n - off)};
    // Odd chunks go in as DTLS records, even ones as TLS records.
    if ((off / step) % 2)
      session.on_datagram(chunk, sslvpn::cstp::Clock::time_point{}, sink);
    else
      session.on_stream_record(chunk, sslvpn::cstp::Clock::time_point{}, sink);
  }
  return 0;
}
