// The worker's TLS session. The certificate chain is local; the private key is a GnuTLS
// "external" key whose sign callbacks go to sec-mod (gnutls_privkey_import_ext4).
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include <memory>
#include <span>
#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "worker/secmod_client.hpp"

namespace sslvpn::worker {

class TlsServer {
 public:
  // Builds credentials and the session on `fd` (not yet handshaken). Call before the sandbox:
  // it parses the priority string and the certificates.
  static Result<std::unique_ptr<TlsServer>> create(int fd, const std::string& cert_chain_pem,
                                                   const std::string& priorities, SecModClient& signer,
                                                   std::string* error);
  ~TlsServer();

  Result<void> handshake(int timeout_ms, std::string* error);
  // Reads application data. Errc::Closed at a clean close, Errc::Timeout when nothing came.
  Result<size_t> recv(std::span<uint8_t> buf, int timeout_ms);
  Result<void> send(std::string_view data);
  void bye();
  std::string description() const;

 private:
  TlsServer() = default;

  struct KeyInfo {
    SecModClient* signer = nullptr;
    gnutls_pk_algorithm_t pk = GNUTLS_PK_UNKNOWN;
    unsigned bits = 0;
  };
  static int info_cb(gnutls_privkey_t, unsigned flags, void* userdata);
  static int sign_data_cb(gnutls_privkey_t, gnutls_sign_algorithm_t algo, void* userdata, unsigned flags,
                          const gnutls_datum_t* data, gnutls_datum_t* sig);
  static int sign_hash_cb(gnutls_privkey_t, gnutls_sign_algorithm_t algo, void* userdata, unsigned flags,
                          const gnutls_datum_t* hash, gnutls_datum_t* sig);

  KeyInfo key_info_;
  gnutls_certificate_credentials_t cred_ = nullptr;
  gnutls_priority_t prio_ = nullptr;
  gnutls_session_t session_ = nullptr;
};

}  // namespace sslvpn::worker
