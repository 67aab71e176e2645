// The worker's TLS session. The certificate chain is local; the private key is a GnuTLS
// "external" key whose sign callbacks go to sec-mod (gnutls_privkey_import_ext4).
#pragma once

#include "worker/tunnel/engine.hpp"

#include "common/gnutls_handles.hpp"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/secret_bytes.hpp"
#include "common/unique_fd.hpp"
#include "worker/secmod_client.hpp"
#include "worker/secmod_credentials.hpp"

namespace sslvpn::worker {

class TlsServer final : public tunnel::StreamTransport {
 public:
  // Builds credentials and the session on `fd` (not yet handshaken). Call before the sandbox:
  // it parses the priority string and the certificates.
  // `ticket_key` (64 bytes; empty: none) turns on TLS session tickets, good for
  // `ticket_lifetime_s`: a client that resumes costs no signature.
  static Result<std::unique_ptr<TlsServer>> create(int fd, const std::string& cert_chain_pem,
                                                   const std::string& priorities, SecModClient& signer,
                                                   bool request_client_cert, std::string* error,
                                                   const std::string& ticket_key = {},
                                                   unsigned ticket_lifetime_s = 0,
                                                   PreparedChains* prepared = nullptr);
  ~TlsServer() override;
  // A [vhost:NAME]: a client whose TLS server name (SNI) is `name` gets this certificate chain
  // (signed with that host's key in sec-mod), these priorities and this certificate request.
  // Call before the handshake; the first handshake's choice holds for the connection's life.
  Result<void> add_virtual_host(const std::string& name, const std::string& cert_chain_pem,
                                const std::string& priorities, bool request_client_cert, std::string* error);
  // A further certificate chain of host `index` (0 = the default host): its key is that host's
  // next pair in sec-mod. GnuTLS shows each client a chain its signature algorithms accept (an
  // RSA and an ECDSA one, say).
  Result<void> add_chain(size_t index, const std::string& chain_pem, std::string* error);
  // ocsp-response: staples `der` (an OCSP response about host `index`'s leaf, 0 being the
  // default host; main checked it) to each handshake whose client asks for it (status_request).
  // false: GnuTLS refused it, and nothing is stapled.
  bool staple_ocsp(size_t index, std::string_view der);
  // After the last add_virtual_host: turns session tickets on (at once, or per host when there
  // are virtual hosts).
  Result<void> ready(std::string* error);
  // The [vhost:NAME] the handshake chose ("" = the default host).
  const std::string& vhost() const noexcept { return hosts_[selected_].name; }
  size_t vhost_index() const noexcept { return selected_; }  // 0 = default, then in add order
  size_t host_count() const noexcept { return hosts_.size(); }

  Result<void> handshake(int timeout_ms, std::string* error);
  // Reads application data. Errc::Closed at a clean close, Errc::Timeout when nothing came.
  Result<size_t> recv(std::span<uint8_t> buf, int timeout_ms);
  Result<void> send(std::string_view data);
  void bye();
  // After an error answer sent while the client may still be sending (a body we refused):
  // close_notify, shut our side, and read and discard what still comes for at most `max_ms`
  // or `max_bytes`, so that closing does not reset the connection before the client has read
  // the answer (a close with unread data sends a TCP RST, which discards it on the client).
  void bye_lingering(int max_ms, size_t max_bytes);
  std::string description() const override;

  // --- tunnel mode: the socket is non-blocking; records are encrypted one per call (the
  // protocol wants one CSTP frame per TLS record) into our own output buffer, which flush()
  // writes with as few send() calls as the socket allows. (gnutls_record_cork would merge
  // the frames into maximum-size records, which openconnect rejects.)
  int fd() const override { return fd_; }
  // Switches the socket to non-blocking mode and the session to the buffered push function.
  Result<void> enter_tunnel_mode();
  // Whether more records may be queued before the next flush (a soft limit).
  bool has_room() const override { return out_.size() < kOutSoftLimit; }
  bool backlogged() const override { return out_.size() >= kOutHardLimit; }
  // close_notify, then both directions of the socket are shut (the descriptor stays ours).
  void close() override;
  // Reads one record. Errc::Timeout when nothing is there (EAGAIN), Errc::Closed at EOF. A
  // client's TLS 1.2 renegotiation (rekey-method = ssl) is carried out here, when allowed.
  Result<size_t> recv_nonblocking(std::span<uint8_t> buf) override;
  // rekey-method = ssl: the client may renegotiate (TLS 1.2) in place, at most once per
  // `min_interval` (ocserv's rekey-time / 2); otherwise a renegotiation ends the tunnel.
  void allow_renegotiation(std::chrono::seconds min_interval) {
    renegotiate_ = true;
    min_renegotiation_interval_ = min_interval;
    last_renegotiation_ = std::chrono::steady_clock::now();  // the tunnel's start counts as one
  }
  // Whether the client supports safe renegotiation (RFC 5746), needed to offer rekey in place.
  bool safe_renegotiation() const { return gnutls_safe_renegotiation_status(session_.get()) != 0; }
  unsigned renegotiations() const { return renegotiations_; }
  // Bytes of decrypted data GnuTLS holds already (poll will not report them).
  size_t pending() const override;
  // Queues one record (corked: nothing is written yet).
  Result<void> queue_record(std::span<const uint8_t> data) override;
  // Writes what is queued. true: all written; false: the socket is full (wait for POLLOUT).
  Result<bool> flush() override;
  // Bytes each record adds (header, tag, padding) with the negotiated cipher.
  size_t record_overhead() const;
  // The negotiated cipher's GnuTLS priority name ("AES-256-GCM").
  std::string cipher_name() const;
  // The certificate credentials (a legacy DTLS session resumes under them).
  gnutls_certificate_credentials_t credentials() const noexcept { return hosts_[selected_].cred.get(); }
  // The certificates the client presented (DER, leaf first; at most kMaxPeerCerts). The
  // handshake proved the client holds the leaf's key; trust is sec-mod's decision.
  std::vector<std::string> peer_certificates() const;
  static constexpr unsigned kMaxPeerCerts = 8;
  // RFC 5705 keying material with no context (openconnect's DTLS PSK, protocols.md A5).
  Result<SecretBytes> export_key(std::string_view label, size_t size) const;
  // OpenVPN: TLS runs over the control channel's reliability layer, not over the socket.
  void use_memory_transport(void* ptr, gnutls_push_func push, gnutls_pull_func pull,
                            gnutls_pull_timeout_func pull_timeout);
  gnutls_session_t session() const noexcept { return session_.get(); }

 private:
  TlsServer() = default;

  // One host's TLS side: its chain with the external key, priorities and certificate request.
  struct Host {
    std::string name;
    // The credentials' keys sign through sec-mod with these, one per certificate chain.
    std::vector<std::unique_ptr<ExternalKey>> keys;
    CertCredentialsHandle cred;
    TlsPriorityHandle prio;
    bool request_cert = false;
  };
  static Result<Host> make_host(const std::string& name, const std::string& chain_pem,
                                const std::string& priorities, SecModClient& signer, bool request_cert,
                                std::string* error, PreparedChains* prepared);
  // Before GnuTLS reads the ClientHello: the host its server name names, and that host's
  // settings (gnutls_handshake_hook_func).
  static int on_client_hello(gnutls_session_t session, unsigned htype, unsigned when, unsigned incoming,
                             const gnutls_datum_t* msg);
  void start_host_tickets(gnutls_session_t session);
  Result<void> start_tickets(gnutls_session_t session, const std::string& key) const;

  static ssize_t buffered_push(gnutls_transport_ptr_t ptr, const void* data, size_t len);
  // The server side of a client's renegotiation, on the non-blocking socket with a deadline:
  // no tunnel data goes out meanwhile (GnuTLS refuses it mid-handshake). false: refused or failed.
  bool renegotiate();
  bool wait_socket(short events, std::chrono::steady_clock::time_point deadline) const;
  // Queued ciphertext beyond this waits for a flush (about 45 full-size packets).
  static constexpr size_t kOutSoftLimit = 64 * 1024;
  static constexpr size_t kOutHardLimit = 1024 * 1024;

  std::vector<uint8_t> out_;  // ciphertext not yet written (tunnel mode)
  size_t out_pos_ = 0;        // how much of out_ was written already
  // Declared in the order GnuTLS needs them freed: the session first, then what it uses.
  std::vector<Host> hosts_;  // [0] the default host
  std::string ticket_key_;   // 64 bytes for this client's address (main's), or empty: no tickets
  unsigned ticket_lifetime_s_ = 0;
  size_t selected_ = 0;
  bool host_chosen_ = false;
  TlsSessionHandle session_;
  int fd_ = -1;
  PreparedChains* prepared_ = nullptr;  // the zygote's parsed chains (add_virtual_host), or null
  bool renegotiate_ = false;
  std::chrono::seconds min_renegotiation_interval_{0};
  std::optional<std::chrono::steady_clock::time_point> last_renegotiation_;
  unsigned renegotiations_ = 0;
};

}  // namespace sslvpn::worker
