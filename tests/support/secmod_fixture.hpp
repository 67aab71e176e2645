// What tests and fuzz targets that run a real sec-mod share: a silent log sink and a fresh
// ECDSA P-256 server key (and certificate) written to files.
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

#include "common/log.hpp"

namespace sslvpn::testing {

class NullSink final : public LogSink {
 public:
  void emit(LogLevel, std::string_view) override {}
};

// Writes a new key to `path` (PEM) and returns the path; aborts if GnuTLS cannot make one. With
// `cert_path`, also a self-signed certificate for it there (sec-mod checks that they match).
inline std::string write_ecdsa_key(const std::string& path, const std::string& cert_path = {}) {
  gnutls_x509_privkey_t k;
  if (gnutls_x509_privkey_init(&k) != 0) std::abort();
  if (gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) !=
      0)
    std::abort();
  gnutls_datum_t out{};
  if (gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &out) != 0) std::abort();
  std::ofstream(path) << std::string(reinterpret_cast<char*>(out.data), out.size);
  gnutls_free(out.data);
  if (!cert_path.empty()) {
    gnutls_x509_crt_t c;
    if (gnutls_x509_crt_init(&c) != 0) std::abort();
    unsigned char serial[1] = {1};
    const char cn[] = "sslvpnd-test";
    if (gnutls_x509_crt_set_version(c, 3) != 0 || gnutls_x509_crt_set_serial(c, serial, 1) != 0 ||
        gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, cn, sizeof cn - 1) != 0 ||
        gnutls_x509_crt_set_activation_time(c, ::time(nullptr) - 60) != 0 ||
        gnutls_x509_crt_set_expiration_time(c, ::time(nullptr) + 86400) != 0 ||
        gnutls_x509_crt_set_key(c, k) != 0 || gnutls_x509_crt_sign2(c, c, k, GNUTLS_DIG_SHA256, 0) != 0 ||
        gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &out) != 0)
      std::abort();
    std::ofstream(cert_path) << std::string(reinterpret_cast<char*>(out.data), out.size);
    gnutls_free(out.data);
    gnutls_x509_crt_deinit(c);
  }
  gnutls_x509_privkey_deinit(k);
  return path;
}

}  // namespace sslvpn::testing
