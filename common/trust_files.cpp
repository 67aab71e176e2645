#include "common/trust_files.hpp"

#include <gnutls/gnutls.h>

#include <optional>

#include "common/text.hpp"

namespace sslvpn {
namespace {

constexpr size_t kMaxTrustFile = 64 << 20;

struct CrtList {
  gnutls_x509_crt_t* items = nullptr;
  unsigned size = 0;
  ~CrtList() {
    for (unsigned i = 0; i < size; ++i) gnutls_x509_crt_deinit(items[i]);
    gnutls_free(items);
  }
};

struct CrlList {
  gnutls_x509_crl_t* items = nullptr;
  unsigned size = 0;
  ~CrlList() {
    for (unsigned i = 0; i < size; ++i)
      if (items[i]) gnutls_x509_crl_deinit(items[i]);
    gnutls_free(items);
  }
};

std::string status_text(unsigned status) {
  gnutls_datum_t text{};
  if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) < 0) return "not valid";
  std::string s(reinterpret_cast<const char*>(text.data), text.size);
  gnutls_free(text.data);
  return std::string(trim(s));
}

// Every CRL of the file (PEM when it has a PEM header, else DER), each checked against the CAs
// here. One whose signature no CA verifies is an error. One that is merely out of date, dated
// ahead, or from a CA whose key usage leaves out CRL signing is kept, with a warning: ocserv
// (GnuTLS's CRL loading) keeps it, and refusing it would stop a server whose CRL lapsed at its
// next restart; its revocations apply either way. Each CRL that passes is moved into `list`.
bool add_checked_crls(gnutls_x509_trust_list_t list, const CrtList& cas, const std::string& file,
                      std::string* error, std::vector<std::string>* warnings) {
  auto text = read_regular_file(file, kMaxTrustFile);
  if (!text) {
    *error = "cannot read the crl '" + file + "'";
    return false;
  }
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(text->data()), static_cast<unsigned>(text->size())};
  bool pem = text->find("-----BEGIN") != std::string::npos;
  CrlList crls;
  int r = gnutls_x509_crl_list_import2(&crls.items, &crls.size, &d,
                                       pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, 0);
  if (r < 0 || crls.size == 0) {
    *error = "cannot load the crl '" + file + "': " + (r < 0 ? gnutls_strerror(r) : "it holds no CRL");
    return false;
  }
  constexpr unsigned kTolerated = GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
                                  GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE | GNUTLS_CERT_INVALID;
  for (unsigned i = 0; i < crls.size; ++i) {
    unsigned status = 0;
    r = gnutls_x509_crl_verify(crls.items[i], cas.items, cas.size, 0, &status);
    if (r >= 0 && status == 0) continue;
    // Its signature, with the signer's CA flag and key usage left aside.
    unsigned signed_status = 0;
    int r2 = gnutls_x509_crl_verify(crls.items[i], cas.items, cas.size, GNUTLS_VERIFY_DISABLE_CA_SIGN,
                                    &signed_status);
    if (r2 < 0 || (signed_status & ~kTolerated) != 0) {
      *error = "the crl '" + file + "' has a CRL that does not pass against ca-cert (" +
               (r < 0 ? std::string(gnutls_strerror(r)) : status_text(status)) +
               "): a CRL must be signed by a CA of ca-cert";
      return false;
    }
    if (warnings == nullptr) continue;
    std::string why;
    auto add = [&](unsigned bit, const char* text) {
      if (status & bit) why += (why.empty() ? "" : ", ") + std::string(text);
    };
    add(GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED, "it is out of date (its next update has passed)");
    add(GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE, "it is dated in the future");
    add(GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE | GNUTLS_CERT_SIGNER_NOT_CA,
        "its CA's certificate does not allow CRL signing");
    warnings->push_back("the crl '" + file + "' is used, but " + (why.empty() ? status_text(status) : why) +
                        "; the revocations it lists apply: regenerate it, up to date and signed by a CA "
                        "whose key usage allows CRL signing");
  }
  // The list owns the CRLs from here (gnutls_x509_trust_list_deinit(list, 1) frees them).
  r = gnutls_x509_trust_list_add_crls(list, crls.items, crls.size, 0, 0);
  if (r < 0) {
    *error = "cannot use the crl '" + file + "': " + gnutls_strerror(r);
    return false;
  }
  crls.size = 0;  // moved: only the array is ours to free
  return true;
}

}  // namespace

void free_trust_list(gnutls_x509_trust_list_t t) noexcept {
  gnutls_x509_trust_list_deinit(t, 1);
}

TrustListHandle load_client_trust(const std::string& ca_file, const std::string& crl_file, std::string* error,
                                  std::vector<std::string>* warnings) {
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
  // The CAs again, as a list of their own, to check each CRL against.
  auto text = read_regular_file(ca_file, kMaxTrustFile);
  CrtList cas;
  gnutls_datum_t d{text ? reinterpret_cast<unsigned char*>(text->data()) : nullptr,
                   text ? static_cast<unsigned>(text->size()) : 0u};
  if (!text || gnutls_x509_crt_list_import2(&cas.items, &cas.size, &d, GNUTLS_X509_FMT_PEM, 0) < 0) {
    *error = "cannot load any CA from ca-cert '" + ca_file + "'";
    return {};
  }
  if (!add_checked_crls(t.get(), cas, crl_file, error, warnings)) return {};
  return t;
}

}  // namespace sslvpn
