#include "sec-mod/cert_auth.hpp"

#include <gnutls/gnutls.h>

#include <cstring>
#include <string_view>

#include "common/gnutls_handles.hpp"
#include "common/passwd_file.hpp"

namespace sslvpn::secmod {
namespace {

using Crt = X509CrtHandle;
constexpr size_t kMaxChain = 8;

struct timespec mtime_of(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return {};
  return st.st_mtim;
}

bool same_time(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// The first value of `oid` in the subject, or of the rfc822Name subject alternative name.
std::string identity_field(gnutls_x509_crt_t crt, const std::string& oid) {
  char buf[512];
  if (oid == "SAN(rfc822name)") {
    for (unsigned i = 0; i < 64; ++i) {
      size_t size = sizeof buf - 1;
      int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, nullptr);
      if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
      if (type == GNUTLS_SAN_RFC822NAME) return std::string(buf, size);
    }
    return {};
  }
  size_t size = sizeof buf - 1;
  if (gnutls_x509_crt_get_dn_by_oid(crt, oid.c_str(), 0, 0, buf, &size) < 0) return {};
  return std::string(buf, size);
}

// openvpn's `remote-cert-tls client`: a key usage extension (its bits are the TLS library's to
// check) and TLS client authentication named among the extended key usages.
bool names_client_purpose(gnutls_x509_crt_t crt) {
  unsigned usage = 0;
  unsigned critical = 0;
  if (gnutls_x509_crt_get_key_usage(crt, &usage, &critical) < 0) return false;
  char oid[128];
  for (unsigned i = 0; i < 64; ++i) {
    size_t size = sizeof oid;
    int r = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size, &critical);
    if (r == GNUTLS_E_SHORT_MEMORY_BUFFER) continue;  // not the OID we look for
    if (r < 0) return false;                          // none left (or unreadable)
    if (std::string_view(oid, strnlen(oid, sizeof oid)) == GNUTLS_KP_TLS_WWW_CLIENT) return true;
  }
  return false;
}

}  // namespace

CertVerifier::CertVerifier(std::string ca_file, std::string crl_file, std::string user_oid,
                           std::string group_oid, bool strict_purpose)
    : ca_file_(std::move(ca_file)),
      crl_file_(std::move(crl_file)),
      user_oid_(std::move(user_oid)),
      group_oid_(std::move(group_oid)),
      strict_purpose_(strict_purpose) {}

bool CertVerifier::reload_if_changed(std::string* error) {
  struct timespec ca = mtime_of(ca_file_), crl = mtime_of(crl_file_);
  if (trust_ && same_time(ca, ca_mtime_) && same_time(crl, crl_mtime_)) return true;
  // A CRL we cannot read or trust must not quietly let revoked certificates in: then no
  // certificate passes until it is fixed.
  TrustListHandle t = load_client_trust(ca_file_, crl_file_, error);
  if (!t) {
    trust_ = {};
    return false;
  }
  trust_ = std::move(t);
  ca_mtime_ = ca;
  crl_mtime_ = crl;
  return true;
}

CertIdentity CertVerifier::verify(const std::vector<std::string>& chain) {
  CertIdentity id;
  if (chain.empty()) {
    id.reason = "no client certificate";
    return id;
  }
  std::string error;
  if (!reload_if_changed(&error)) {
    id.reason = error;
    return id;
  }
  std::vector<Crt> owned;
  std::vector<gnutls_x509_crt_t> raw;
  for (size_t i = 0; i < chain.size() && i < kMaxChain; ++i) {
    gnutls_x509_crt_t c = nullptr;
    if (gnutls_x509_crt_init(&c) < 0) {
      id.reason = "out of memory";
      return id;
    }
    owned.emplace_back(c);
    gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(chain[i].data())),
                     static_cast<unsigned>(chain[i].size())};
    if (gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_DER) < 0) {
      id.reason = "unparsable client certificate";
      return id;
    }
    raw.push_back(c);
  }
  gnutls_typed_vdata_st purpose{};
  purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
  purpose.data = reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_CLIENT));
  unsigned status = 0;
  int r = gnutls_x509_trust_list_verify_crt2(trust_.get(), raw.data(), static_cast<unsigned>(raw.size()),
                                             &purpose, 1, 0, &status, nullptr);
  if (r < 0 || status != 0) {
    gnutls_datum_t text{};
    if (r >= 0 && gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) >= 0) {
      id.reason = std::string("client certificate rejected: ") + reinterpret_cast<const char*>(text.data);
      gnutls_free(text.data);
    } else {
      id.reason = "client certificate could not be verified";
    }
    return id;
  }
  if (strict_purpose_ && !names_client_purpose(raw[0])) {
    id.reason =
        "the client certificate does not name TLS client authentication (extended key usage) with a key "
        "usage (cert-require-client-purpose)";
    return id;
  }
  id.user = identity_field(raw[0], user_oid_);
  if (!valid_user_name(id.user)) {
    id.reason = "the client certificate has no usable user name (cert-user-oid " + user_oid_ + ")";
    return id;
  }
  if (!group_oid_.empty()) {
    id.group = identity_field(raw[0], group_oid_);
    if (!id.group.empty() && !valid_group_name(id.group)) id.group.clear();
  }
  id.ok = true;
  return id;
}

}  // namespace sslvpn::secmod
