#include "worker/tls_server.hpp"

#include "worker/tunnel/send_buffer.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>

#include <cstring>
#include <vector>

namespace sslvpn::worker {
namespace {

// Chains longer than this are certainly a misconfiguration.
constexpr unsigned kMaxChain = 16;
// GnuTLS's session ticket master key (gnutls_session_ticket_key_generate's size).
constexpr size_t kTicketKeySize = 64;

int copy_signature(Result<std::string> r, gnutls_datum_t* sig) {
  if (!r.ok()) return GNUTLS_E_PK_SIGN_FAILED;
  sig->data = static_cast<unsigned char*>(gnutls_malloc(r->size()));
  if (sig->data == nullptr) return GNUTLS_E_MEMORY_ERROR;
  std::memcpy(sig->data, r->data(), r->size());
  sig->size = static_cast<unsigned>(r->size());
  return 0;
}

std::string_view view(const gnutls_datum_t* d) {
  return {reinterpret_cast<const char*>(d->data), d->size};
}

}  // namespace

int TlsServer::info_cb(gnutls_privkey_t, unsigned flags, void* userdata) {
  auto* k = static_cast<KeyInfo*>(userdata);
  if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO) return k->pk;
  if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS) return static_cast<int>(k->bits);
  if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO) {
    auto sig = static_cast<gnutls_sign_algorithm_t>(GNUTLS_FLAGS_TO_SIGN_ALGO(flags));
    return gnutls_sign_supports_pk_algorithm(sig, k->pk) ? 1 : 0;
  }
  return -1;
}

int TlsServer::sign_data_cb(gnutls_privkey_t, gnutls_sign_algorithm_t algo, void* userdata, unsigned flags,
                            const gnutls_datum_t* data, gnutls_datum_t* sig) {
  auto* k = static_cast<KeyInfo*>(userdata);
  return copy_signature(k->signer->sign(false, algo, flags, view(data)), sig);
}

int TlsServer::sign_hash_cb(gnutls_privkey_t, gnutls_sign_algorithm_t algo, void* userdata, unsigned flags,
                            const gnutls_datum_t* hash, gnutls_datum_t* sig) {
  auto* k = static_cast<KeyInfo*>(userdata);
  return copy_signature(k->signer->sign(true, algo, flags, view(hash)), sig);
}

Result<std::unique_ptr<TlsServer>> TlsServer::create(int fd, const std::string& chain_pem,
                                                     const std::string& priorities, SecModClient& signer,
                                                     bool request_client_cert, std::string* error,
                                                     const std::string& ticket_key,
                                                     unsigned ticket_lifetime_s) {
  std::unique_ptr<TlsServer> t(new TlsServer());
  auto fail = [&](const std::string& what, int r) -> Result<std::unique_ptr<TlsServer>> {
    *error = what + ": " + gnutls_strerror(r);
    return Errc::Crypto;
  };
  PcertList pcerts(kMaxChain);
  unsigned n = pcerts.capacity();
  gnutls_datum_t pem{reinterpret_cast<unsigned char*>(const_cast<char*>(chain_pem.data())),
                     static_cast<unsigned>(chain_pem.size())};
  int r = gnutls_pcert_list_import_x509_raw(pcerts.data(), &n, &pem, GNUTLS_X509_FMT_PEM, 0);
  if (r < 0 || n == 0)
    return fail("cannot parse the server certificate chain", r < 0 ? r : GNUTLS_E_NO_CERTIFICATE_FOUND);
  pcerts.set_count(n);
  int pk = gnutls_pubkey_get_pk_algorithm(pcerts.data()[0].pubkey, &t->key_info_.bits);
  t->key_info_.pk = static_cast<gnutls_pk_algorithm_t>(pk);
  t->key_info_.signer = &signer;

  gnutls_privkey_t raw_key = nullptr;
  if ((r = gnutls_privkey_init(&raw_key)) < 0) return fail("gnutls_privkey_init", r);
  PrivKeyHandle key(raw_key);
  r = gnutls_privkey_import_ext4(key.get(), &t->key_info_, &TlsServer::sign_data_cb, &TlsServer::sign_hash_cb,
                                 nullptr, nullptr, &TlsServer::info_cb, 0);
  if (r < 0) return fail("gnutls_privkey_import_ext4", r);
  gnutls_certificate_credentials_t raw_cred = nullptr;
  if ((r = gnutls_certificate_allocate_credentials(&raw_cred)) < 0) return fail("credentials", r);
  t->cred_.reset(raw_cred);
  // On success the credentials own both the certificates and the key.
  if ((r = gnutls_certificate_set_key(t->cred_.get(), nullptr, 0, pcerts.data(), static_cast<int>(n),
                                      key.get())) < 0)
    return fail("gnutls_certificate_set_key", r);
  (void)key.release();
  pcerts.release();
  const char* err_pos = nullptr;
  gnutls_priority_t raw_prio = nullptr;
  if ((r = gnutls_priority_init2(&raw_prio, priorities.c_str(), &err_pos, 0)) < 0)
    return fail("tls-priorities near '" + std::string(err_pos ? err_pos : "") + "'", r);
  t->prio_.reset(raw_prio);
  gnutls_session_t raw_session = nullptr;
  if ((r = gnutls_init(&raw_session, GNUTLS_SERVER | GNUTLS_NO_SIGNAL)) < 0) return fail("gnutls_init", r);
  t->session_.reset(raw_session);
  if ((r = gnutls_priority_set(raw_session, t->prio_.get())) < 0) return fail("gnutls_priority_set", r);
  if ((r = gnutls_credentials_set(raw_session, GNUTLS_CRD_CERTIFICATE, t->cred_.get())) < 0)
    return fail("gnutls_credentials_set", r);
  // Asked for, not required: a client without one may still log in with a password, and sec-mod
  // gives the clear refusal when every login needs a certificate.
  gnutls_certificate_server_set_request(raw_session,
                                        request_client_cert ? GNUTLS_CERT_REQUEST : GNUTLS_CERT_IGNORE);
  if (ticket_key.size() == kTicketKeySize) {
    gnutls_datum_t k{reinterpret_cast<unsigned char*>(const_cast<char*>(ticket_key.data())),
                     static_cast<unsigned>(ticket_key.size())};
    if ((r = gnutls_session_ticket_enable_server(raw_session, &k)) < 0) return fail("session tickets", r);
    gnutls_db_set_cache_expiration(raw_session, static_cast<int>(ticket_lifetime_s));
  }
  gnutls_transport_set_int(raw_session, fd);
  t->fd_ = fd;
  return t;
}

TlsServer::~TlsServer() = default;

Result<void> TlsServer::handshake(int timeout_ms, std::string* error) {
  gnutls_handshake_set_timeout(session_.get(), static_cast<unsigned>(timeout_ms));
  int r;
  do {
    r = gnutls_handshake(session_.get());
  } while (r < 0 && !gnutls_error_is_fatal(r));
  if (r < 0) {
    *error = gnutls_strerror(r);
    return r == GNUTLS_E_TIMEDOUT ? Errc::Timeout : Errc::Crypto;
  }
  return {};
}

Result<size_t> TlsServer::recv(std::span<uint8_t> buf, int timeout_ms) {
  gnutls_record_set_timeout(session_.get(), static_cast<unsigned>(timeout_ms));
  for (;;) {
    ssize_t n = gnutls_record_recv(session_.get(), buf.data(), buf.size());
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Errc::Closed;
    if (n == GNUTLS_E_TIMEDOUT) return Errc::Timeout;
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) continue;
    if (n == GNUTLS_E_PREMATURE_TERMINATION) return Errc::Closed;
    if (n == GNUTLS_E_REHANDSHAKE) return Errc::State;  // clients do not renegotiate on their own
    return Errc::Io;
  }
}

Result<void> TlsServer::send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = gnutls_record_send(session_.get(), data.data(), data.size());
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) continue;
    if (n < 0) return Errc::Io;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

void TlsServer::close() {
  bye();
  (void)::shutdown(fd_, SHUT_RDWR);
}

void TlsServer::bye() {
  (void)gnutls_bye(session_.get(), GNUTLS_SHUT_WR);
}

ssize_t TlsServer::buffered_push(gnutls_transport_ptr_t ptr, const void* data, size_t len) {
  auto* self = static_cast<TlsServer*>(ptr);
  const auto* p = static_cast<const uint8_t*>(data);
  self->out_.insert(self->out_.end(), p, p + len);
  return static_cast<ssize_t>(len);
}

Result<void> TlsServer::enter_tunnel_mode() {
  int fl = ::fcntl(fd_, F_GETFL);
  if (fl < 0 || ::fcntl(fd_, F_SETFL, fl | O_NONBLOCK) < 0) return Errc::Io;
  gnutls_record_set_timeout(session_.get(), 0);
  // A TSO read may queue a whole 64 kB super-packet (about 45 records) past the soft limit.
  out_.reserve(kOutSoftLimit + 80 * 1024);
  gnutls_transport_set_ptr2(session_.get(),
                            reinterpret_cast<gnutls_transport_ptr_t>(static_cast<intptr_t>(fd_)), this);
  gnutls_transport_set_push_function(session_.get(), &TlsServer::buffered_push);
  return {};
}

Result<size_t> TlsServer::recv_nonblocking(std::span<uint8_t> buf) {
  for (;;) {
    ssize_t n = gnutls_record_recv(session_.get(), buf.data(), buf.size());
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) return Errc::Closed;
    if (n == GNUTLS_E_AGAIN) return Errc::Timeout;
    if (n == GNUTLS_E_INTERRUPTED) continue;
    return Errc::Io;
  }
}

size_t TlsServer::pending() const {
  return gnutls_record_check_pending(session_.get());
}

Result<void> TlsServer::queue_record(std::span<const uint8_t> data) {
  // The push function never refuses, so this encrypts exactly one record and returns.
  ssize_t n = gnutls_record_send(session_.get(), data.data(), data.size());
  if (n < 0) return Errc::Io;
  return {};
}

Result<bool> TlsServer::flush() {
  return tunnel::send_buffered(fd_, out_, out_pos_);
}

Result<SecretBytes> TlsServer::export_key(std::string_view label, size_t size) const {
  std::string out(size, '\0');
  int r = gnutls_prf_rfc5705(session_.get(), label.size(), label.data(), 0, nullptr, size, out.data());
  if (r < 0) return Errc::Crypto;
  SecretBytes key(out);
  wipe_string(out);
  return key;
}

void TlsServer::use_memory_transport(void* ptr, gnutls_push_func push, gnutls_pull_func pull,
                                     gnutls_pull_timeout_func pull_timeout) {
  gnutls_transport_set_ptr(session_.get(), ptr);
  gnutls_transport_set_push_function(session_.get(), push);
  gnutls_transport_set_pull_function(session_.get(), pull);
  gnutls_transport_set_pull_timeout_function(session_.get(), pull_timeout);
  fd_ = -1;
}

std::string TlsServer::cipher_name() const {
  const char* n = gnutls_cipher_get_name(gnutls_cipher_get(session_.get()));
  return n ? n : "";
}

size_t TlsServer::record_overhead() const {
  return gnutls_record_overhead_size(session_.get());
}

std::string TlsServer::description() const {
  char* d = gnutls_session_get_desc(session_.get());
  std::string out = d ? d : "";
  gnutls_free(d);
  return out;
}

std::vector<std::string> TlsServer::peer_certificates() const {
  std::vector<std::string> out;
  unsigned n = 0;
  const gnutls_datum_t* list = gnutls_certificate_get_peers(session_.get(), &n);
  for (unsigned i = 0; list != nullptr && i < n && i < kMaxPeerCerts; ++i)
    out.emplace_back(reinterpret_cast<const char*>(list[i].data), list[i].size);
  return out;
}

}  // namespace sslvpn::worker
