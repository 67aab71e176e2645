// GlobalProtect's tunnel engine fed arbitrary bytes: HTTP before START_TUNNEL, frames after it,
// and ESP datagrams (sealed by the input's choice with the session's own keys, or raw and
// forged) through the ESP decapsulation. Nothing crashes; nothing reaches the TUN device that
// is not from the client's address; no unauthenticated datagram turns ESP on.
#include <cstdint>
#include <vector>

#include "worker/gp/esp.hpp"
#include "worker/gp/gp_session.hpp"

using namespace sslvpn;

namespace {

struct Io : tunnel::TunnelIo {
  void to_tun(std::span<const uint8_t> p) override {
    if (p.size() < 20 || (p[0] >> 4) != 4 || p[12] != 10 || p[15] != 5) __builtin_trap();
  }
  void to_stream(std::span<const uint8_t> f) override {
    if (f.size() > 16384 + 1024) __builtin_trap();
  }
  void to_datagram(std::span<const uint8_t>) override {}
};

std::unique_ptr<gp::EspSa> make_sa() {
  gp::EspKeyMaterial k;
  k.spi = 0x1234;
  k.enc_key = SecretBytes("eeeeeeeeeeeeeeee");
  k.mac_key = SecretBytes("mmmmmmmmmmmmmmmmmmmm");
  return std::move(gp::EspSa::create(k)).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  if (n == 0) return 0;
  static auto sealer = make_sa();
  auto inbound = make_sa();
  gp::GpSessionSettings s;
  s.ipv4 = parse_ip("10.0.0.5");
  s.gw = *parse_ip("10.0.0.1");
  s.authcookie = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  s.user = "u";
  gp::GpSession session(s, gp::Clock::time_point{}, make_sa(), d[0] & 1);
  Io io;
  size_t step = (d[0] % 64) + 8;
  std::vector<uint8_t> plain(16384 + 512), wire(16384 + 512);
  for (size_t off = 1; off < n && !session.ended(); off += step) {
    std::span<const uint8_t> chunk{d + off, std::min(step, n - off)};
    switch ((off / step) % 3) {
      case 0:
        session.on_stream_record(chunk, gp::Clock::time_point{}, io);
        break;
      case 1:  // forged ESP: the input does not know the keys, so it never authenticates
        if (gp::esp_decapsulate(*inbound, chunk, plain).ok()) __builtin_trap();
        break;
      default: {  // a genuine ESP packet around the chunk
        auto sealed = sealer->seal(chunk, gp::kNextIpv4, wire);
        if (!sealed.ok()) break;
        auto m = gp::esp_decapsulate(*inbound, std::span<const uint8_t>(wire.data(), *sealed), plain);
        if (m.ok())
          session.on_datagram(std::span<const uint8_t>(plain.data(), *m), gp::Clock::time_point{}, io);
      }
    }
  }
  session.on_tick(gp::Clock::time_point{} + std::chrono::seconds(n % 200), io);
  return 0;
}
