#include "worker/tls_server.hpp"

#include "common/config.hpp"

#include "worker/secmod_credentials.hpp"
#include "worker/tls_sni.hpp"
#include "worker/tunnel/send_buffer.hpp"

#include <fcntl.h>
#include <gnutls/crypto.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>

#include <cstring>
#include <vector>

#include "common/text.hpp"

namespace sslvpn::worker {
namespace {

// GnuTLS's session ticket master key (gnutls_session_ticket_key_generate's size).
constexpr size_t kTicketKeySize = 64;

}  // namespace

Result<TlsServer::Host> TlsServer::make_host(const std::string& name, const std::string& chain_pem,
                                             const std::string& priorities, SecModClient& signer,
                                             bool request_cert, std::string* error,
                                             PreparedChains* prepared) {
  Host h;
  h.name = name;
  h.request_cert = request_cert;
  auto& key = h.keys.emplace_back(std::make_unique<ExternalKey>());
  key->signer = &signer;
  key->vhost = name;
  auto cred = secmod_credentials(chain_pem, key.get(), error, prepared);
  if (!cred) return cred.error();
  h.cred = std::move(*cred);
  if (prepared != nullptr && (h.prio = prepared->take_priorities(priorities))) return h;
  const char* err_pos = nullptr;
  gnutls_priority_t raw_prio = nullptr;
  if (int r = gnutls_priority_init2(&raw_prio, priorities.c_str(), &err_pos, 0); r < 0) {
    *error = "tls-priorities near '" + std::string(err_pos ? err_pos : "") + "': " + gnutls_strerror(r);
    return Errc::Crypto;
  }
  h.prio.reset(raw_prio);
  return h;
}

Result<std::unique_ptr<TlsServer>> TlsServer::create(int fd, const std::string& chain_pem,
                                                     const std::string& priorities, SecModClient& signer,
                                                     bool request_client_cert, std::string* error,
                                                     const std::string& ticket_key,
                                                     unsigned ticket_lifetime_s, PreparedChains* prepared) {
  std::unique_ptr<TlsServer> t(new TlsServer());
  auto fail = [&](const std::string& what, int r) -> Result<std::unique_ptr<TlsServer>> {
    *error = what + ": " + gnutls_strerror(r);
    return Errc::Crypto;
  };
  auto host = make_host("", chain_pem, priorities, signer, request_client_cert, error, prepared);
  if (!host) return host.error();
  t->hosts_.push_back(std::move(*host));
  const Host& h = t->hosts_.front();
  int r = 0;
  gnutls_session_t raw_session = nullptr;
  if ((r = gnutls_init(&raw_session, GNUTLS_SERVER | GNUTLS_NO_SIGNAL)) < 0) return fail("gnutls_init", r);
  t->session_.reset(raw_session);
  if ((r = gnutls_priority_set(raw_session, h.prio.get())) < 0) return fail("gnutls_priority_set", r);
  if ((r = gnutls_credentials_set(raw_session, GNUTLS_CRD_CERTIFICATE, h.cred.get())) < 0)
    return fail("gnutls_credentials_set", r);
  // Asked for, not required: a client without one may still log in with a password, and sec-mod
  // gives the clear refusal when every login needs a certificate.
  gnutls_certificate_server_set_request(raw_session,
                                        request_client_cert ? GNUTLS_CERT_REQUEST : GNUTLS_CERT_IGNORE);
  t->ticket_key_ = ticket_key.size() == kTicketKeySize ? ticket_key : std::string();
  t->ticket_lifetime_s_ = ticket_lifetime_s;
  gnutls_transport_set_int(raw_session, fd);
  t->fd_ = fd;
  t->prepared_ = prepared;
  return t;
}

Result<void> TlsServer::add_virtual_host(const std::string& name, const std::string& chain_pem,
                                         const std::string& priorities, bool request_client_cert,
                                         std::string* error) {
  auto host = make_host(name, chain_pem, priorities, *hosts_.front().keys.front()->signer,
                        request_client_cert, error, prepared_);
  if (!host) return host.error();
  hosts_.push_back(std::move(*host));
  gnutls_session_set_ptr(session_.get(), this);
  // Before GnuTLS parses the ClientHello, so the host's priorities decide the version and its
  // ticket key is the one a resumption is tried with (ocserv reads the name the same way).
  gnutls_handshake_set_hook_function(session_.get(), GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_PRE,
                                     &TlsServer::on_client_hello);
  return {};
}

Result<void> TlsServer::add_chain(size_t index, const std::string& chain_pem, std::string* error) {
  if (index >= hosts_.size() || hosts_[index].keys.size() >= kMaxCertPairs) {
    *error = "more than " + std::to_string(kMaxCertPairs) + " certificate chains for one host";
    return Errc::Limit;
  }
  Host& h = hosts_[index];
  auto key = std::make_unique<ExternalKey>();
  key->signer = h.keys.front()->signer;
  key->vhost = h.name;
  key->index = static_cast<unsigned>(h.keys.size());
  if (auto r = add_secmod_key(h.cred.get(), chain_pem, key.get(), error, prepared_); !r) return r;
  h.keys.push_back(std::move(key));
  return {};
}

bool TlsServer::staple_ocsp(size_t index, std::string_view der) {
  if (der.empty() || index >= hosts_.size()) return false;
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(der.data())),
                   static_cast<unsigned>(der.size())};
  // GnuTLS checks again that the response is about the leaf, and at each handshake that it has
  // not expired (an expired one is not sent).
  return gnutls_certificate_set_ocsp_status_request_mem(hosts_[index].cred.get(), &d, 0,
                                                        GNUTLS_X509_FMT_DER) >= 0;
}

Result<void> TlsServer::start_tickets(gnutls_session_t session, const std::string& key) const {
  gnutls_datum_t k{reinterpret_cast<unsigned char*>(const_cast<char*>(key.data())),
                   static_cast<unsigned>(key.size())};
  if (gnutls_session_ticket_enable_server(session, &k) < 0) return Errc::Crypto;
  gnutls_db_set_cache_expiration(session, static_cast<int>(ticket_lifetime_s_));
  return {};
}

Result<void> TlsServer::ready(std::string* error) {
  // Without virtual hosts the tickets start now; with them, once the ClientHello named the host:
  // each host has a key of its own, so a ticket resumes under the name it was issued for only.
  if (ticket_key_.empty() || hosts_.size() > 1) return {};
  if (auto r = start_tickets(session_.get(), ticket_key_); !r) {
    *error = "session tickets: cannot enable them";
    return r;
  }
  return {};
}

int TlsServer::on_client_hello(gnutls_session_t session, unsigned htype, unsigned when, unsigned incoming,
                               const gnutls_datum_t* msg) {
  if (htype != GNUTLS_HANDSHAKE_CLIENT_HELLO || when != GNUTLS_HOOK_PRE || !incoming) return 0;
  auto* self = static_cast<TlsServer*>(gnutls_session_get_ptr(session));
  if (!self->host_chosen_) {  // a renegotiation or a second hello keeps the first one's host
    self->host_chosen_ = true;
    if (msg != nullptr && msg->data != nullptr) {
      auto sni = client_hello_server_name({msg->data, msg->size});
      for (size_t i = 1; sni && i < self->hosts_.size(); ++i)
        if (iequals(self->hosts_[i].name, *sni)) self->selected_ = i;
    }
    self->start_host_tickets(session);
  }
  const Host& h = self->hosts_[self->selected_];
  int r = gnutls_priority_set(session, h.prio.get());
  if (r == 0) r = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, h.cred.get());
  gnutls_certificate_server_set_request(session, h.request_cert ? GNUTLS_CERT_REQUEST : GNUTLS_CERT_IGNORE);
  return r;
}

// The chosen host's ticket key: the address's own for the default host, one derived from it
// and the host's name for a vhost.
void TlsServer::start_host_tickets(gnutls_session_t session) {
  if (ticket_key_.empty()) return;
  if (selected_ == 0) {
    (void)start_tickets(session, ticket_key_);
    return;
  }
  std::string material =
      ticket_key_ + std::string("\0sslvpnd vhost ticket key\0", 26) + hosts_[selected_].name;
  std::string key(kTicketKeySize, '\0');
  if (gnutls_hash_fast(GNUTLS_DIG_SHA512, material.data(), material.size(), key.data()) == 0)
    (void)start_tickets(session, key);
  wipe_string(material);
  wipe_string(key);
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

void TlsServer::bye_lingering(int max_ms, size_t max_bytes) {
  bye();
  if (::shutdown(fd_, SHUT_WR) < 0) return;
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_ms);
  std::array<uint8_t, 4096> sink{};
  size_t drained = 0;
  while (drained < max_bytes) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return;
    ssize_t n = ::recv(fd_, sink.data(), sink.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;  // the client closed (or the connection broke): done
    drained += static_cast<size_t>(n);
  }
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
    if (n == GNUTLS_E_REHANDSHAKE && renegotiate()) continue;  // then what the client sent next
    return Errc::Io;
  }
}

bool TlsServer::wait_socket(short events, std::chrono::steady_clock::time_point deadline) const {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, events, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
}

bool TlsServer::renegotiate() {
  using Clock = std::chrono::steady_clock;
  auto now = Clock::now();
  if (!renegotiate_ || (last_renegotiation_ && now - *last_renegotiation_ < min_renegotiation_interval_))
    return false;  // not offered, or again too soon (ocserv's rule): the client reconnects instead
  auto deadline = now + std::chrono::seconds(20);
  gnutls_handshake_set_timeout(session_.get(), 0);
  int data_records = 0;  // application data the client sent first, held by GnuTLS meanwhile
  for (int round = 0; round < 10000; ++round) {  // bounded, and by the deadline
    int r = gnutls_handshake(session_.get());
    for (;;) {  // what the handshake wrote goes out before we wait for the client's answer
      auto f = flush();
      if (!f.ok()) return false;
      if (*f) break;
      if (!wait_socket(POLLOUT, deadline)) return false;
    }
    if (r == 0) {
      last_renegotiation_ = now;
      ++renegotiations_;
      return true;
    }
    if (r == GNUTLS_E_AGAIN) {
      if (!wait_socket(POLLIN, deadline)) return false;
      continue;
    }
    if (r == GNUTLS_E_GOT_APPLICATION_DATA && ++data_records > 64) return false;  // a client that floods
    if (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_GOT_APPLICATION_DATA ||
        r == GNUTLS_E_WARNING_ALERT_RECEIVED)
      continue;  // data that came first is read by the next record_recv
    return false;
  }
  return false;
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
