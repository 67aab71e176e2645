// The CA and CRL files that client certificates are checked against (ca-cert, crl), loaded into
// a GnuTLS trust list: by sec-mod for each check (sec-mod/cert_auth.hpp) and by main when it
// checks a configuration (sslvpnd -t, start, reload).
#pragma once

#include <gnutls/x509.h>

#include <string>

#include "common/unique_fd.hpp"

namespace sslvpn {

void free_trust_list(gnutls_x509_trust_list_t t) noexcept;
using TrustListHandle = CHandle<gnutls_x509_trust_list_st, free_trust_list>;

// The CAs of `ca_file` (PEM) and, unless `crl_file` is empty, its CRLs (PEM or DER). A CRL is
// only taken when a CA of the list signed it (GnuTLS's GNUTLS_TL_VERIFY_CRL), so a CRL file with
// none that passes (signed by another CA, or by a CA certificate whose key usage lacks CRL
// signing) is an error, as an unreadable one is: else revoked certificates would pass unseen.
// Empty, with `error`, on failure.
TrustListHandle load_client_trust(const std::string& ca_file, const std::string& crl_file,
                                  std::string* error);

}  // namespace sslvpn
