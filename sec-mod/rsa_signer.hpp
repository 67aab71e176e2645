// sec-mod: RSA signatures made by OpenSSL's libcrypto instead of GnuTLS/nettle.
//
// Why: a login's TLS handshake costs one signature, and with an RSA-2048 key it is the largest
// single cost of a login. nettle computes it with mpn_sec_powm, in 1.55 ms on the 2-core test
// machine; libcrypto's constant-time Montgomery code (blinded, and checked against the public
// exponent before it is returned, as nettle's is) takes 0.27 ms (`openssl speed rsa2048`).
// Both are side-channel hardened; libcrypto's is simply faster (see doc/performance.md,
// issue 19).
//
// The key is still loaded once, by GnuTLS (every format and PIN it takes); its RSA parameters
// are then handed to libcrypto in memory. A key that is not plain RSA, or whose copy fails the
// self-test, keeps GnuTLS for everything; so does any request this class does not know.
#pragma once

#include <gnutls/abstract.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

struct evp_pkey_st;

namespace sslvpn::secmod {

class RsaSigner {
 public:
  // A signer for `key`, or null when the key is not plain RSA, its parameters do not export,
  // or the copy fails the self-test: a PKCS#1 v1.5 signature byte-identical to GnuTLS's and
  // a PSS signature GnuTLS verifies.
  static std::unique_ptr<RsaSigner> from(gnutls_privkey_t key);
  ~RsaSigner();
  RsaSigner(const RsaSigner&) = delete;
  RsaSigner& operator=(const RsaSigner&) = delete;

  // As ServerKey::sign. Errc::UnknownType for a request left to GnuTLS: any algorithm other
  // than RSA PKCS#1 v1.5 (with SHA-1/256/384/512, or raw: GNUTLS_SIGN_RSA_RAW or the TLS1_RSA
  // flag) or RSA-PSS-RSAE (SHA-256/384/512), or a digest of the wrong length. Safe to call
  // from several threads at once.
  Result<std::string> sign(bool hash, unsigned algorithm, unsigned flags, std::string_view data) const;

 private:
  explicit RsaSigner(evp_pkey_st* pkey) : pkey_(pkey) {}
  evp_pkey_st* pkey_;
};

}  // namespace sslvpn::secmod
