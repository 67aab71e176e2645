// Certificate credentials whose private key is in sec-mod: the chain is parsed here, and the
// key is a GnuTLS "external" key (gnutls_privkey_import_ext4) whose signatures are asked of
// sec-mod over the process's channel. Used by the worker's TLS and the NVM collector's DTLS.
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include <string>

#include "common/gnutls_handles.hpp"
#include "common/result.hpp"
#include "worker/prepared_chains.hpp"
#include "worker/secmod_client.hpp"

namespace sslvpn::worker {

// What the external key's callbacks need; must outlive the credentials.
struct ExternalKey {
  SecModClient* signer = nullptr;
  std::string vhost;   // the [vhost:NAME] whose key this is ("" = the default host's)
  unsigned index = 0;  // which of the host's certificate and key pairs (0 = the first)
  std::string id;      // the certificate's key id: names the key to sec-mod, across reloads
  gnutls_pk_algorithm_t pk = GNUTLS_PK_UNKNOWN;
  unsigned bits = 0;
};

// Credentials for `chain_pem` (leaf first) signing through `key->signer`. Fills `key`. The
// chain is taken from `prepared` (the zygote's) when it is there, else parsed.
Result<CertCredentialsHandle> secmod_credentials(const std::string& chain_pem, ExternalKey* key,
                                                 std::string* error, PreparedChains* prepared = nullptr);
// Adds a further chain of the host (its key->index'th pair) to `cred`: GnuTLS then shows each
// client a certificate its signature algorithms accept.
Result<void> add_secmod_key(gnutls_certificate_credentials_t cred, const std::string& chain_pem,
                            ExternalKey* key, std::string* error, PreparedChains* prepared = nullptr);

}  // namespace sslvpn::worker
