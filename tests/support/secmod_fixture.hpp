// What tests and fuzz targets that run a real sec-mod share: a silent log sink and a fresh
// ECDSA P-256 server key written to a file.
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/log.hpp"

namespace sslvpn::testing {

class NullSink final : public LogSink {
 public:
  void emit(LogLevel, std::string_view) override {}
};

// Writes a new key to `path` (PEM) and returns the path; aborts if GnuTLS cannot make one.
inline std::string write_ecdsa_key(const std::string& path) {
  gnutls_x509_privkey_t k;
  if (gnutls_x509_privkey_init(&k) != 0) std::abort();
  if (gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) !=
      0)
    std::abort();
  gnutls_datum_t out{};
  if (gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &out) != 0) std::abort();
  std::ofstream(path) << std::string(reinterpret_cast<char*>(out.data), out.size);
  gnutls_free(out.data);
  gnutls_x509_privkey_deinit(k);
  return path;
}

}  // namespace sslvpn::testing
