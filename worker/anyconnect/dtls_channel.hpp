// The DTLS data channel of one tunnel: a GnuTLS datagram session on the UDP socket main hands
// over. PSK-NEGOTIATE mode (openconnect >= 7.08): the key is exported from the CSTP TLS
// session ("EXPORTER-openconnect-psk", 32 bytes), the PSK identity is ignored.
// Non-blocking: the tunnel loop calls step()/recv() when the socket is readable.
#pragma once

#include "common/gnutls_handles.hpp"

#include <gnutls/gnutls.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/dtls_records.hpp"
#include "common/result.hpp"
#include "common/secret_bytes.hpp"
#include "common/unique_fd.hpp"
#include "worker/tunnel/engine.hpp"
#include "worker/tunnel/udp_batch.hpp"

namespace sslvpn::worker {

// A Cisco "legacy" DTLS cipher (the client resumes a session made of the master secret it
// sent in X-DTLS-Master-Secret and the session id we sent; protocols.md A5).
struct LegacyCipher {
  const char* name;    // as in X-DTLS-CipherSuite / X-DTLS12-CipherSuite
  bool dtls12_header;  // named in X-DTLS12-CipherSuite (Cisco's DTLS 1.2 clients)
  gnutls_protocol_t version;
  gnutls_cipher_algorithm_t cipher;
  gnutls_mac_algorithm_t mac;
  const char* priority;
};

// Our pick from the client's lists, best first; nullptr when nothing matches.
const LegacyCipher* choose_legacy_cipher(std::string_view dtls_list, std::string_view dtls12_list);

struct DtlsSetup {
  SecretBytes psk;  // PSK mode: 32 bytes exported from the TLS session
  // PSK mode: exports the key again for each new DTLS session (a TLS 1.2 renegotiation, rekey
  // in place, changes the TLS session's exporter, and openconnect derives its new key from it).
  std::function<std::optional<SecretBytes>()> psk_source;
  std::string psk_cipher;                           // PSK mode: only this cipher (match-tls-dtls-ciphers)
  const LegacyCipher* legacy = nullptr;             // legacy mode when set
  SecretBytes master_secret;                        // legacy: the client's 48 bytes
  std::string session_id;                           // legacy: our 32-byte session id
  gnutls_certificate_credentials_t cert = nullptr;  // legacy: the resumed session's credentials
  unsigned udp_mtu = 1472;                          // base MTU minus IP and UDP headers
  unsigned data_mtu = 0;                            // legacy: tunnel MTU + 1 (the type byte)
};

class DtlsChannel final : public tunnel::DatagramChannel {
 public:
  // Starts a server session on `udp` whose first datagram (the ClientHello) is `first`.
  static Result<std::unique_ptr<DtlsChannel>> create(const DtlsSetup& setup, UniqueFd udp, std::string first,
                                                     std::string* error);
  ~DtlsChannel() override;
  DtlsChannel(const DtlsChannel&) = delete;
  DtlsChannel& operator=(const DtlsChannel&) = delete;

  int fd() const override { return udp_.get(); }
  bool established() const override { return established_; }
  // Advances the handshake. true once established; Errc::Crypto when it failed.
  Result<bool> handshake() override;
  // One record: Errc::Timeout when nothing is queued; Errc::Closed/Io when the channel died.
  Result<size_t> recv(std::span<uint8_t> buf) override;
  // Encrypts one record; false if it was not accepted (too large for the path). Once the
  // channel is established, records wait in a batch until flush() (UDP GSO).
  bool send(std::span<const uint8_t> record) override;
  void flush() override;
  size_t pending() const override;
  // NAT rebinding: a record came from the client's address on a new port. The new socket is
  // kept only if that record decrypts in this session (so a forged or replayed datagram cannot
  // steer the tunnel); its plaintext is then in `buf` and its length returned.
  Result<size_t> check_new_path(std::string first, std::span<uint8_t> buf) override;
  void move_to(UniqueFd udp) override;
  std::string description() const override;

 private:
  DtlsChannel() = default;
  static ssize_t pull(gnutls_transport_ptr_t p, void* buf, size_t len);
  static ssize_t push(gnutls_transport_ptr_t p, const void* buf, size_t len);
  static int pull_timeout(gnutls_transport_ptr_t p, unsigned ms);
  static int psk_key(gnutls_session_t s, const char* username, gnutls_datum_t* key);

  UniqueFd udp_;
  bool probing_ = false;     // check_new_path: only first_ may be read
  std::string first_;        // a datagram main already read, delivered before the socket's own
  DtlsRecordQueue records_;  // the rest of a datagram with several records
  SecretBytes psk_;
  PskServerCredentialsHandle cred_;  // freed after the session that uses it
  TlsSessionHandle session_;
  bool established_ = false;
  UdpBatch batch_;
};

// Opens a DTLS channel (a server handshake) on each UDP socket main hands the tunnel.
class DtlsFactory final : public tunnel::DatagramFactory {
 public:
  explicit DtlsFactory(DtlsSetup setup) : setup_(std::move(setup)) {}
  const char* name() const override { return "DTLS"; }
  Result<std::unique_ptr<tunnel::DatagramChannel>> open(UniqueFd udp, std::string first,
                                                        std::string* error) override;

 private:
  DtlsSetup setup_;
};

}  // namespace sslvpn::worker
