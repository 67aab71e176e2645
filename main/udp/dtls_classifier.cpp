#include "main/udp/classifier.hpp"
#include "main/udp/dtls_hello.hpp"

namespace sslvpn::mainproc::udp {
namespace {

class DtlsClassifier final : public Classifier {
 public:
  const char* name() const noexcept override { return "DTLS"; }
  Verdict classify(std::span<const uint8_t> d, std::string_view from_ip,
                   const Directory& dir) const override {
    auto info = parse_dtls_datagram(d);
    if (!info.ok()) return {};  // not DTLS
    Verdict v;
    if (info->client_hello) {
      v.worker = dir.worker_by_dtls_id(info->session_id);
      v.hello = true;
    } else if (info->content_type == kDtlsApplicationData) {
      v.worker = dir.only_dtls_worker_at(from_ip);
    }
    if (v.worker > 0) v.action = Action::Route;
    return v;
  }
};

}  // namespace

std::unique_ptr<Classifier> make_dtls_classifier() {
  return std::make_unique<DtlsClassifier>();
}

}  // namespace sslvpn::mainproc::udp
