// RAII owners for the GnuTLS handles the processes keep (STYLE rule 11): no gnutls_*_deinit
// by hand on any path.
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <vector>

#include "common/unique_fd.hpp"

namespace sslvpn {

using TlsSessionHandle = CHandle<gnutls_session_int, gnutls_deinit>;
using TlsPriorityHandle = CHandle<gnutls_priority_st, gnutls_priority_deinit>;
using CertCredentialsHandle = CHandle<gnutls_certificate_credentials_st, gnutls_certificate_free_credentials>;
using PskServerCredentialsHandle =
    CHandle<gnutls_psk_server_credentials_st, gnutls_psk_free_server_credentials>;
using PrivKeyHandle = CHandle<gnutls_privkey_st, gnutls_privkey_deinit>;
using PubKeyHandle = CHandle<gnutls_pubkey_st, gnutls_pubkey_deinit>;
using X509CrtHandle = CHandle<gnutls_x509_crt_int, gnutls_x509_crt_deinit>;
using CipherHandle = CHandle<api_cipher_hd_st, gnutls_cipher_deinit>;
inline void hmac_deinit_discarding(gnutls_hmac_hd_t h) noexcept {
  gnutls_hmac_deinit(h, nullptr);
}
using HmacHandle = CHandle<hmac_hd_st, hmac_deinit_discarding>;

// Certificates imported into gnutls_pcert_st slots, deinitialized unless handed on (release()).
class PcertList {
 public:
  explicit PcertList(unsigned capacity) : certs_(capacity) {}
  ~PcertList() {
    for (unsigned i = 0; i < count_; ++i) gnutls_pcert_deinit(&certs_[i]);
  }
  PcertList(const PcertList&) = delete;
  PcertList& operator=(const PcertList&) = delete;
  gnutls_pcert_st* data() noexcept { return certs_.data(); }
  unsigned capacity() const noexcept { return static_cast<unsigned>(certs_.size()); }
  unsigned count() const noexcept { return count_; }
  void set_count(unsigned n) noexcept { count_ = n; }
  // The credentials own them now.
  void release() noexcept { count_ = 0; }

 private:
  std::vector<gnutls_pcert_st> certs_;
  unsigned count_ = 0;
};

}  // namespace sslvpn
