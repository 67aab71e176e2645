#include "worker/anyconnect/dtls_channel.hpp"

#include "common/dtls_records.hpp"
#include "common/text.hpp"

#include <gnutls/dtls.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace sslvpn::worker {
namespace {

// openconnect offers "<its TLS priorities>:-VERS-TLS-ALL:+VERS-DTLS-ALL:-KX-ALL:+PSK" with no
// extensions at all; we take DTLS 1.2 with a PSK key exchange and an AEAD cipher.
constexpr const char* kPskPriority =
    "NORMAL:%SERVER_PRECEDENCE:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:"
    "+CHACHA20-POLY1305";

// Best first. The DTLS 1.2 AES-GCM suites are openconnect's ("OC-") and Cisco's DTLS 1.2
// names; the DTLS 0.9 CBC suites are for old clients only. No 3DES.
constexpr LegacyCipher kLegacyCiphers[] = {
    {"OC-DTLS1_2-AES256-GCM", false, GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_256_GCM, GNUTLS_MAC_AEAD,
     "NONE:+VERS-DTLS1.2:+COMP-NULL:+AES-256-GCM:+AEAD:+RSA:%COMPAT:+SIGN-ALL"},
    {"OC-DTLS1_2-AES128-GCM", false, GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_128_GCM, GNUTLS_MAC_AEAD,
     "NONE:+VERS-DTLS1.2:+COMP-NULL:+AES-128-GCM:+AEAD:+RSA:%COMPAT:+SIGN-ALL"},
    {"AES256-GCM-SHA384", true, GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_256_GCM, GNUTLS_MAC_AEAD,
     "NONE:+VERS-DTLS1.2:+COMP-NULL:+AES-256-GCM:+AEAD:+RSA:%COMPAT:+SIGN-ALL"},
    {"AES128-GCM-SHA256", true, GNUTLS_DTLS1_2, GNUTLS_CIPHER_AES_128_GCM, GNUTLS_MAC_AEAD,
     "NONE:+VERS-DTLS1.2:+COMP-NULL:+AES-128-GCM:+AEAD:+RSA:%COMPAT:+SIGN-ALL"},
    {"AES256-SHA", false, GNUTLS_DTLS0_9, GNUTLS_CIPHER_AES_256_CBC, GNUTLS_MAC_SHA1,
     "NONE:+VERS-DTLS0.9:+COMP-NULL:+AES-256-CBC:+SHA1:+RSA:%COMPAT"},
    {"AES128-SHA", false, GNUTLS_DTLS0_9, GNUTLS_CIPHER_AES_128_CBC, GNUTLS_MAC_SHA1,
     "NONE:+VERS-DTLS0.9:+COMP-NULL:+AES-128-CBC:+SHA1:+RSA:%COMPAT"},
};

// Records GnuTLS may drop in one recv() or handshake() call before it returns.
constexpr int kMaxDroppedPerCall = 64;

}  // namespace

const LegacyCipher* choose_legacy_cipher(std::string_view dtls_list, std::string_view dtls12_list) {
  for (const auto& c : kLegacyCiphers)
    if (colon_list_contains(c.dtls12_header ? dtls12_list : dtls_list, c.name)) return &c;
  return nullptr;
}

ssize_t DtlsChannel::pull(gnutls_transport_ptr_t p, void* buf, size_t len) {
  auto* self = static_cast<DtlsChannel*>(p);
  std::span<uint8_t> out(static_cast<uint8_t*>(buf), len);
  auto again = [self] {
    gnutls_transport_set_errno(self->session_.get(), EAGAIN);
    return ssize_t{-1};
  };
  if (self->probing_) {  // the stashed datagram's first record, nothing else
    std::span<const uint8_t> d(reinterpret_cast<const uint8_t*>(self->first_.data()), self->first_.size());
    size_t n = dtls_record_size(d);
    if (n == 0 || n > len) return again();
    std::memcpy(buf, d.data(), n);
    self->first_.clear();
    return static_cast<ssize_t>(n);
  }
  if (!self->first_.empty()) {
    self->records_.fill({reinterpret_cast<const uint8_t*>(self->first_.data()), self->first_.size()});
    self->first_.clear();
  }
  // A bounded number of datagrams per call: those that hold no whole record are dropped.
  for (int i = 0; i < 64; ++i) {
    while (!self->records_.empty())
      if (size_t n = self->records_.take(out); n > 0) return static_cast<ssize_t>(n);
    // ECONNREFUSED is an ICMP error for an earlier send (the client's old port, after a NAT
    // moved it, or a port briefly closed): reported once, it does not end the path.
    ssize_t got;
    do got = ::recv(self->udp_.get(), buf, len, MSG_DONTWAIT);
    while (got < 0 && (errno == ECONNREFUSED || errno == EINTR));
    if (got < 0) {
      gnutls_transport_set_errno(self->session_.get(), errno == EWOULDBLOCK ? EAGAIN : errno);
      return -1;
    }
    std::span<const uint8_t> d(out.data(), static_cast<size_t>(got));
    size_t n = dtls_record_size(d);
    if (n == 0) continue;               // no whole record (an empty datagram would read as EOF)
    if (n == d.size()) return got;      // the usual datagram: one record, handed over in place
    self->records_.fill(d.subspan(n));  // the others wait for the next calls
    return static_cast<ssize_t>(n);
  }
  return again();
}

ssize_t DtlsChannel::push(gnutls_transport_ptr_t p, const void* buf, size_t len) {
  auto* self = static_cast<DtlsChannel*>(p);
  if (self->established_) {
    std::span<const uint8_t> d(static_cast<const uint8_t*>(buf), len);
    if (self->batch_.add(d)) return static_cast<ssize_t>(len);
    self->batch_.flush(self->udp_.get());
    if (self->batch_.add(d)) return static_cast<ssize_t>(len);
  }
  ssize_t n = ::send(self->udp_.get(), buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0) gnutls_transport_set_errno(self->session_.get(), errno == EWOULDBLOCK ? EAGAIN : errno);
  return n;
}

int DtlsChannel::pull_timeout(gnutls_transport_ptr_t p, unsigned ms) {
  auto* self = static_cast<DtlsChannel*>(p);
  if (self->probing_) return self->first_.empty() ? 0 : 1;
  if (!self->first_.empty() || !self->records_.empty()) return 1;
  pollfd pfd{self->udp_.get(), POLLIN, 0};
  return ::poll(&pfd, 1, static_cast<int>(ms));
}

int DtlsChannel::psk_key(gnutls_session_t s, const char*, gnutls_datum_t* key) {
  auto* self = static_cast<DtlsChannel*>(gnutls_session_get_ptr(s));
  key->data = static_cast<unsigned char*>(gnutls_malloc(self->psk_.size()));
  if (key->data == nullptr) return -1;
  std::memcpy(key->data, self->psk_.view().data(), self->psk_.size());
  key->size = static_cast<unsigned>(self->psk_.size());
  return 0;
}

Result<std::unique_ptr<DtlsChannel>> DtlsChannel::create(const DtlsSetup& setup, UniqueFd udp,
                                                         std::string first, std::string* error) {
  std::unique_ptr<DtlsChannel> c(new DtlsChannel());
  c->udp_ = std::move(udp);
  c->first_ = std::move(first);
  c->psk_ = SecretBytes(setup.psk.view());
  auto fail = [&](const char* what, int r) -> Result<std::unique_ptr<DtlsChannel>> {
    *error = std::string(what) + ": " + gnutls_strerror(r);
    return Errc::Crypto;
  };
  int r;
  gnutls_session_t raw_session = nullptr;
  if ((r = gnutls_init(&raw_session, GNUTLS_SERVER | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL)) <
      0)
    return fail("gnutls_init (DTLS)", r);
  c->session_.reset(raw_session);
  gnutls_session_set_ptr(c->session_.get(), c.get());
  if (setup.legacy == nullptr) {
    gnutls_psk_server_credentials_t raw_cred = nullptr;
    if ((r = gnutls_psk_allocate_server_credentials(&raw_cred)) < 0) return fail("PSK credentials", r);
    c->cred_.reset(raw_cred);
    gnutls_psk_set_server_credentials_function(c->cred_.get(), &DtlsChannel::psk_key);
    std::string prio = kPskPriority;
    if (!setup.psk_cipher.empty())
      prio =
          "NORMAL:%SERVER_PRECEDENCE:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+" + setup.psk_cipher;
    if ((r = gnutls_priority_set_direct(c->session_.get(), prio.c_str(), nullptr)) < 0)
      return fail("DTLS priority", r);
    if ((r = gnutls_credentials_set(c->session_.get(), GNUTLS_CRD_PSK, c->cred_.get())) < 0)
      return fail("DTLS credentials", r);
  } else {
    // Cisco's scheme: both sides install the same "previous session" and the client resumes it.
    const LegacyCipher& lc = *setup.legacy;
    if ((r = gnutls_priority_set_direct(c->session_.get(), lc.priority, nullptr)) < 0)
      return fail("DTLS priority", r);
    if ((r = gnutls_credentials_set(c->session_.get(), GNUTLS_CRD_CERTIFICATE, setup.cert)) < 0)
      return fail("DTLS credentials", r);
    gnutls_datum_t master{
        reinterpret_cast<unsigned char*>(const_cast<char*>(setup.master_secret.view().data())),
        static_cast<unsigned>(setup.master_secret.size())};
    gnutls_datum_t sid{reinterpret_cast<unsigned char*>(const_cast<char*>(setup.session_id.data())),
                       static_cast<unsigned>(setup.session_id.size())};
    r = gnutls_session_set_premaster(c->session_.get(), GNUTLS_SERVER, lc.version, GNUTLS_KX_RSA, lc.cipher,
                                     lc.mac, GNUTLS_COMP_NULL, &master, &sid);
    if (r < 0) return fail("DTLS session parameters", r);
    gnutls_record_disable_padding(c->session_.get());
  }
  gnutls_transport_set_ptr(c->session_.get(), c.get());
  gnutls_transport_set_push_function(c->session_.get(), &DtlsChannel::push);
  gnutls_transport_set_pull_function(c->session_.get(), &DtlsChannel::pull);
  gnutls_transport_set_pull_timeout_function(c->session_.get(), &DtlsChannel::pull_timeout);
  gnutls_dtls_set_mtu(c->session_.get(), setup.udp_mtu);
  if (setup.legacy != nullptr && setup.data_mtu != 0)
    gnutls_dtls_set_data_mtu(c->session_.get(), setup.data_mtu);
  // Handshake retransmission: 1 s first, give up after 30 s (the client tries again later).
  gnutls_dtls_set_timeouts(c->session_.get(), 1000, 30000);
  return c;
}

DtlsChannel::~DtlsChannel() = default;

Result<bool> DtlsChannel::handshake() {
  if (established_) return true;
  int r = gnutls_handshake(session_.get());
  // A record GnuTLS dropped (not of this handshake) ends the call with E_AGAIN while the rest
  // of its flight waits here: go on with them, a bounded number of times.
  for (int i = 0; i < kMaxDroppedPerCall && r == GNUTLS_E_AGAIN && !records_.empty(); ++i)
    r = gnutls_handshake(session_.get());
  if (r == 0) {
    established_ = true;
    return true;
  }
  if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal(r)) return false;
  return Errc::Crypto;
}

Result<size_t> DtlsChannel::recv(std::span<uint8_t> buf) {
  for (int dropped = 0;;) {
    ssize_t n = gnutls_record_recv(session_.get(), buf.data(), buf.size());
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Errc::Closed;
    if (n == GNUTLS_E_AGAIN) {
      // GnuTLS dropped a record (forged, replayed, not of this session): the rest of its
      // datagram goes too, as GnuTLS itself drops it, so a datagram packed with bogus records
      // costs one. Then the next datagram, a bounded number of times.
      if (records_.empty() || ++dropped > kMaxDroppedPerCall) return Errc::Timeout;
      records_.clear();
      continue;
    }
    if (n == GNUTLS_E_INTERRUPTED) continue;
    if (!gnutls_error_is_fatal(static_cast<int>(n))) continue;  // a bad record: dropped by GnuTLS
    return Errc::Io;
  }
}

bool DtlsChannel::send(std::span<const uint8_t> record) {
  ssize_t n = gnutls_record_send(session_.get(), record.data(), record.size());
  return n >= 0;
}

void DtlsChannel::flush() {
  if (!batch_.empty()) batch_.flush(udp_.get());
}

size_t DtlsChannel::pending() const {
  if (!established_) return 0;
  return gnutls_record_check_pending(session_.get()) + (records_.empty() ? 0 : 1);
}

Result<size_t> DtlsChannel::check_new_path(std::string first, std::span<uint8_t> buf) {
  // Plaintext GnuTLS holds from the live path would be read before `first`: no check then (the
  // client's next datagram from the new port gets one). GnuTLS holds no raw bytes between
  // records (pull() hands it whole records), and the live path's queued records stay queued.
  if (!established_ || gnutls_record_check_pending(session_.get()) > 0) return Errc::State;
  // Only the first record of the stashed datagram is read: pull() serves it, then says there
  // is nothing more (it must not take a datagram of the live path in its place). A record that
  // does not authenticate, or that the replay window has seen, is dropped inside GnuTLS.
  first_ = std::move(first);
  probing_ = true;
  ssize_t n = gnutls_record_recv(session_.get(), buf.data(), buf.size());
  probing_ = false;
  first_.clear();
  if (n > 0) return static_cast<size_t>(n);
  return Errc::Denied;
}

void DtlsChannel::move_to(UniqueFd udp) {
  flush();  // what was queued goes the old way
  udp_ = std::move(udp);
}

std::string DtlsChannel::description() const {
  char* d = gnutls_session_get_desc(session_.get());
  std::string out = d ? d : "";
  gnutls_free(d);
  return out;
}

Result<std::unique_ptr<tunnel::DatagramChannel>> DtlsFactory::open(UniqueFd udp, std::string first,
                                                                   std::string* error) {
  if (setup_.psk_source)
    if (auto fresh = setup_.psk_source()) setup_.psk = std::move(*fresh);
  auto c = DtlsChannel::create(setup_, std::move(udp), std::move(first), error);
  if (!c.ok()) return c.error();
  return std::unique_ptr<tunnel::DatagramChannel>(std::move(c).value());
}

}  // namespace sslvpn::worker
