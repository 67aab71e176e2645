// The CA and CRL files that client certificates are checked against (ca-cert, crl), loaded into
// a GnuTLS trust list: by sec-mod for each check (sec-mod/cert_auth.hpp) and by main when it
// checks a configuration (sslvpnd -t, start, reload).
#pragma once

#include <gnutls/x509.h>

#include <string>
#include <vector>

#include "common/unique_fd.hpp"

namespace sslvpn {

void free_trust_list(gnutls_x509_trust_list_t t) noexcept;
using TrustListHandle = CHandle<gnutls_x509_trust_list_st, free_trust_list>;

// The CAs of `ca_file` (PEM) and, unless `crl_file` is empty, its CRLs (PEM or DER). Every CRL
// of the file must be signed by one of those CAs: one that is not (another CA's, or altered) is
// an error, as an unreadable file is, so that no revoked certificate passes unseen. A CRL that
// is signed but out of date (its next update passed), dated in the future, or signed by a CA
// whose key usage does not name CRL signing is used as it is, as ocserv (GnuTLS) uses it, and
// `warnings` (when given) says so: its revocations still apply. Empty, with `error`, on failure.
TrustListHandle load_client_trust(const std::string& ca_file, const std::string& crl_file,
                                  std::string* error, std::vector<std::string>* warnings = nullptr);

}  // namespace sslvpn
