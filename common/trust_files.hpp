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

// The CAs of `ca_file` (PEM) and, unless `crl_file` is empty, its CRLs (PEM or DER). Every CRL
// of the file must pass against those CAs (signed by one whose key usage allows CRL signing,
// and up to date), as OpenSSL's checks in openvpn require; one that does not is an error, as an
// unreadable file is, so that no revoked certificate passes unseen. Empty, with `error`, on
// failure.
TrustListHandle load_client_trust(const std::string& ca_file, const std::string& crl_file,
                                  std::string* error);

}  // namespace sslvpn
