#include "common/byte_reader.hpp"
#include "main/udp/classifier.hpp"

namespace sslvpn::mainproc::udp {
namespace {

class EspClassifier final : public Classifier {
 public:
  const char* name() const noexcept override { return "ESP"; }
  Verdict classify(std::span<const uint8_t> d, std::string_view, const Directory& dir) const override {
    if (d.size() < kMinEspDatagram) return {};
    ByteReader r(d);
    auto spi = r.be32();
    // SPIs 0-255 are reserved (RFC 4303 2.1); main never hands them out.
    if (!spi || *spi < 256) return {};
    Verdict v;
    v.worker = dir.worker_by_esp_spi(*spi);
    if (v.worker <= 0) return v;
    v.action = Action::Route;
    v.hello = !dir.has_datagram_path(v.worker);  // else a new port of a live path
    return v;
  }
};

}  // namespace

std::unique_ptr<Classifier> make_esp_classifier() {
  return std::make_unique<EspClassifier>();
}

}  // namespace sslvpn::mainproc::udp
