// The server's private key. Only sec-mod ever loads it; workers sign through IPC.
#pragma once

#include <gnutls/abstract.h>

#include <string>

#include "common/config.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "sec-mod/rsa_signer.hpp"

namespace sslvpn::secmod {

class ServerKey {
 public:
  // Loads a PEM or DER key (PKCS#1, PKCS#8, SEC1; an encrypted PKCS#8 or PKCS#12 one with
  // `pin`). Throws std::runtime_error at startup.
  static ServerKey load(const std::string& path, const std::string& pin = {});
  // The PIN ocserv's keys name: the first line of pin-file if set, else key-pin.
  static std::string pin_of(const Config& c);

  // Signs for a worker's TLS handshake. `hash`: `data` is the digest (gnutls_privkey_sign_hash2)
  // rather than the message (gnutls_privkey_sign_data2). An RSA key signs with libcrypto where
  // it can (sec-mod/rsa_signer.hpp), GnuTLS otherwise.
  Result<std::string> sign(bool hash, unsigned algorithm, unsigned flags, std::string_view data) const;

  // Throws std::runtime_error unless the first certificate of the PEM chain in `cert_path`
  // carries this key's public half. Workers skip GnuTLS's own check (a signature through
  // sec-mod and a verification in every worker): this is it, once per load. Returns the
  // certificate's key id (SHA-256 of its SubjectPublicKeyInfo), which a worker showing that
  // certificate names when it asks for a signature.
  std::string check_certificate(const std::string& cert_path, const std::string& key_path) const;

  // True when libcrypto makes this key's RSA signatures.
  bool fast_rsa() const { return rsa_ != nullptr; }

 private:
  using Key = CHandle<gnutls_privkey_st, gnutls_privkey_deinit>;
  ServerKey(Key k, std::unique_ptr<RsaSigner> rsa) : key_(std::move(k)), rsa_(std::move(rsa)) {}
  Key key_;
  std::unique_ptr<RsaSigner> rsa_;  // null: GnuTLS signs everything
};

}  // namespace sslvpn::secmod
