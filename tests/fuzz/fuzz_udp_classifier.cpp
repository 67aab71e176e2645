// main's UDP classifiers (DTLS, ESP) on hostile datagrams: the first byte picks the sender's address, the
// rest is the datagram. Whatever the bytes, a classifier answers Drop or Route to a worker the
// tables know, and a Route names a live worker.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "main/udp/classifier.hpp"

using namespace sslvpn::mainproc;

namespace {

class Tables final : public udp::Directory {
 public:
  pid_t worker_by_dtls_id(std::string_view id) const override {
    return id.size() == 32 && id[0] == 'A' ? 7 : -1;
  }
  pid_t only_dtls_worker_at(std::string_view ip) const override { return ip == "192.0.2.1" ? 8 : -1; }
  pid_t worker_by_esp_spi(uint32_t spi) const override { return spi % 7 == 0 ? 9 : -1; }
  bool has_datagram_path(pid_t w) const override { return w == 9; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  if (n == 0) return 0;
  static const auto dtls = udp::make_dtls_classifier();
  static const Tables tables;
  std::string_view from = (d[0] & 1) ? "192.0.2.1" : "2001:db8::1";
  auto v = dtls->classify(std::span<const uint8_t>(d + 1, n - 1), from, tables);
  if (v.action == udp::Action::Route && v.worker != 7 && v.worker != 8) std::abort();
  if (v.action == udp::Action::Start) std::abort();  // DTLS never starts a worker
  if (v.action == udp::Action::Drop && v.worker > 0 && v.hello) std::abort();
  static const auto esp = udp::make_esp_classifier();
  auto e = esp->classify(std::span<const uint8_t>(d + 1, n - 1), from, tables);
  if (e.action == udp::Action::Start || (e.action == udp::Action::Route && e.worker != 9)) std::abort();
  if (e.action == udp::Action::Route && n - 1 < udp::kMinEspDatagram) std::abort();
  return 0;
}
