// auth = "certificate": client certificates checked in sec-mod. The worker relays the chain the
// client presented (the TLS handshake proved the client holds the leaf's private key); sec-mod
// verifies it against ca-cert and crl and reads the user (cert-user-oid) and group
// (cert-group-oid) from the leaf. The CA and CRL files are re-read when they change on disk, so a
// new CRL applies without a restart.
#pragma once

#include <gnutls/x509.h>

#include <sys/stat.h>

#include <ctime>
#include <string>
#include <vector>

#include "common/trust_files.hpp"
#include "common/unique_fd.hpp"

namespace sslvpn::secmod {

struct CertIdentity {
  bool ok = false;
  std::string user;
  std::string group;   // empty when cert-group-oid is unset or absent from the certificate
  std::string reason;  // why it was refused (for the log and, in general terms, the client)
};

class CertVerifier {
 public:
  // strict_purpose (cert-require-client-purpose): the leaf must name TLS client authentication
  // among its extended key usages and carry a key usage, as openvpn's `remote-cert-tls client`
  // requires; otherwise a leaf that names no purpose at all passes too (GnuTLS's and ocserv's rule).
  CertVerifier(std::string ca_file, std::string crl_file, std::string user_oid, std::string group_oid,
               bool strict_purpose = false);

  // Verifies `chain` (DER, leaf first) now, for TLS client use.
  CertIdentity verify(const std::vector<std::string>& chain);

 private:
  bool reload_if_changed(std::string* error);

  std::string ca_file_, crl_file_, user_oid_, group_oid_;
  bool strict_purpose_ = false;
  TrustListHandle trust_;
  struct timespec ca_mtime_ {
  }, crl_mtime_{};
};

}  // namespace sslvpn::secmod
