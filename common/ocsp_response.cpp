#include "common/ocsp_response.hpp"

#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include "common/gnutls_handles.hpp"
#include "common/text.hpp"

namespace sslvpn {
namespace {

using OcspRespHandle = CHandle<gnutls_ocsp_resp_int, gnutls_ocsp_resp_deinit>;

gnutls_datum_t datum(std::string_view s) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())), static_cast<unsigned>(s.size())};
}

std::string utc(time_t t) {
  char buf[32];
  struct tm tm {};
  if (::gmtime_r(&t, &tm) == nullptr || std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
    return std::to_string(t);
  return buf;
}

// Why `der` should not be stapled for `leaf`, or "" when it may be.
std::string check(std::string_view der, gnutls_x509_crt_t leaf, time_t now) {
  gnutls_ocsp_resp_t raw = nullptr;
  if (gnutls_ocsp_resp_init(&raw) < 0) return "out of memory";
  OcspRespHandle resp(raw);
  gnutls_datum_t d = datum(der);
  if (gnutls_ocsp_resp_import(resp.get(), &d) < 0) return "is not an OCSP response (DER)";
  if (gnutls_ocsp_resp_get_status(resp.get()) != GNUTLS_OCSP_RESP_SUCCESSFUL)
    return "is an unsuccessful OCSP response (the responder gave no status)";
  if (gnutls_ocsp_resp_check_crt(resp.get(), 0, leaf) < 0)
    return "is about another certificate than server-cert";
  unsigned status = 0;
  time_t this_update = 0, next_update = 0, revoked_at = 0;
  if (gnutls_ocsp_resp_get_single(resp.get(), 0, nullptr, nullptr, nullptr, nullptr, &status, &this_update,
                                  &next_update, &revoked_at, nullptr) < 0)
    return "holds no certificate status";
  if (status == GNUTLS_OCSP_CERT_REVOKED) return "says that server-cert was revoked at " + utc(revoked_at);
  if (status != GNUTLS_OCSP_CERT_GOOD) return "says that its responder does not know server-cert";
  if (next_update != static_cast<time_t>(-1) && next_update <= now)
    return "expired at " + utc(next_update) + " (its next update): fetch a new one and reload";
  return "";
}

}  // namespace

OcspResponseFile load_ocsp_response(const std::string& file, std::string_view chain_pem, time_t now) {
  OcspResponseFile out;
  if (file.empty()) return out;
  const std::string what = "ocsp-response '" + file + "' ";
  auto der = read_regular_file(file, kMaxOcspResponse);
  if (!der || der->empty()) {
    out.warnings.push_back("cannot read " + what +
                           "(a regular, non-empty file); no OCSP response is stapled");
    return out;
  }
  if (der->size() > kMaxOcspResponse) {
    out.warnings.push_back(what + "is larger than " + std::to_string(kMaxOcspResponse / 1024) +
                           " KiB; no OCSP response is stapled");
    return out;
  }
  gnutls_x509_crt_t raw = nullptr;
  if (gnutls_x509_crt_init(&raw) < 0) return out;
  X509CrtHandle leaf(raw);
  gnutls_datum_t pem = datum(chain_pem);
  if (gnutls_x509_crt_import(leaf.get(), &pem, GNUTLS_X509_FMT_PEM) < 0) {
    out.warnings.push_back(what +
                           "cannot be checked: server-cert does not parse; no OCSP response is stapled");
    return out;
  }
  if (std::string why = check(*der, leaf.get(), now); !why.empty()) {
    out.warnings.push_back(what + why + "; it is not stapled");
    return out;
  }
  out.der = std::move(*der);
  return out;
}

}  // namespace sslvpn
