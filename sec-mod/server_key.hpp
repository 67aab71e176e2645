// The server's private key. Only sec-mod ever loads it; workers sign through IPC.
#pragma once

#include <gnutls/abstract.h>

#include <string>

#include "common/config.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace sslvpn::secmod {

class ServerKey {
 public:
  // Loads a PEM or DER key (PKCS#1, PKCS#8, SEC1; an encrypted PKCS#8 or PKCS#12 one with
  // `pin`). Throws std::runtime_error at startup.
  static ServerKey load(const std::string& path, const std::string& pin = {});
  // The PIN ocserv's keys name: the first line of pin-file if set, else key-pin.
  static std::string pin_of(const Config& c);

  // Signs for a worker's TLS handshake. `hash` selects gnutls_privkey_sign_hash2 (TLS 1.2
  // digests) over gnutls_privkey_sign_data2.
  Result<std::string> sign(bool hash, unsigned algorithm, unsigned flags, std::string_view data) const;

 private:
  using Key = CHandle<gnutls_privkey_st, gnutls_privkey_deinit>;
  explicit ServerKey(Key k) : key_(std::move(k)) {}
  Key key_;
};

}  // namespace sslvpn::secmod
