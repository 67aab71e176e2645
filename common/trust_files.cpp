#include "common/trust_files.hpp"

namespace sslvpn {

void free_trust_list(gnutls_x509_trust_list_t t) noexcept {
  gnutls_x509_trust_list_deinit(t, 1);
}

TrustListHandle load_client_trust(const std::string& ca_file, const std::string& crl_file,
                                  std::string* error) {
  gnutls_x509_trust_list_t raw = nullptr;
  if (gnutls_x509_trust_list_init(&raw, 0) < 0) {
    *error = "cannot allocate a trust list";
    return {};
  }
  TrustListHandle t(raw);
  int r = gnutls_x509_trust_list_add_trust_file(t.get(), ca_file.c_str(), nullptr, GNUTLS_X509_FMT_PEM, 0, 0);
  if (r <= 0) {
    *error = "cannot load any CA from ca-cert '" + ca_file + "'";
    return {};
  }
  if (crl_file.empty()) return t;
  // The number of CRLs taken: a PEM file, else (it did not parse as one) a DER one.
  r = gnutls_x509_trust_list_add_trust_file(t.get(), nullptr, crl_file.c_str(), GNUTLS_X509_FMT_PEM,
                                            GNUTLS_TL_VERIFY_CRL, 0);
  if (r < 0)
    r = gnutls_x509_trust_list_add_trust_file(t.get(), nullptr, crl_file.c_str(), GNUTLS_X509_FMT_DER,
                                              GNUTLS_TL_VERIFY_CRL, 0);
  if (r < 0) {
    *error = "cannot load the crl '" + crl_file + "': " + gnutls_strerror(r);
    return {};
  }
  if (r == 0) {
    *error = "the crl '" + crl_file +
             "' holds no CRL signed by a CA of ca-cert (a CA certificate whose key usage lacks CRL signing "
             "cannot sign one)";
    return {};
  }
  return t;
}

}  // namespace sslvpn
