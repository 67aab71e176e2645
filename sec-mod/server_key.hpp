// The server's private key. Only sec-mod ever loads it; workers sign through IPC.
#pragma once

#include <gnutls/abstract.h>

#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace sslvpn::secmod {

class ServerKey {
 public:
  // Loads a PEM or DER key (PKCS#1, PKCS#8, SEC1). Throws std::runtime_error at startup.
  static ServerKey load(const std::string& path);

  // Signs for a worker's TLS handshake. `hash` selects gnutls_privkey_sign_hash2 (TLS 1.2
  // digests) over gnutls_privkey_sign_data2.
  Result<std::string> sign(bool hash, unsigned algorithm, unsigned flags, std::string_view data) const;

 private:
  using Key = CHandle<gnutls_privkey_st, gnutls_privkey_deinit>;
  explicit ServerKey(Key k) : key_(std::move(k)) {}
  Key key_;
};

}  // namespace sslvpn::secmod
