#include "worker/nvm/dtls_exporters.hpp"

#include <gnutls/dtls.h>

#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

#include "common/dtls_records.hpp"

namespace sslvpn::nvm {
namespace {

constexpr size_t kMaxInbox = 64;  // datagrams waiting for GnuTLS per session
constexpr unsigned kMtu = 1400;
constexpr size_t kMaxRecord = 65536;  // one IPFIX message per record at most
constexpr char kPriorities[] = "NORMAL:-VERS-ALL:+VERS-DTLS1.2:%SERVER_PRECEDENCE";

std::string peer_key(const sockaddr_storage& a, socklen_t len) {
  return std::string(reinterpret_cast<const char*>(&a), len);
}

// The host a peer's handshakes count against: its IPv4 address, or its IPv6 /64, ports aside.
std::string host_key(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET)
    return std::string(reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr), 4);
  if (a.ss_family == AF_INET6)
    return std::string(reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr), 8);
  return {};
}

// A handshake in progress, counted for its host until it is established or ends.
class HalfOpen {
 public:
  HalfOpen(std::map<std::string, size_t>& counts, std::string host)
      : counts_(&counts), host_(std::move(host)) {
    ++(*counts_)[host_];
  }
  HalfOpen(const HalfOpen&) = delete;
  HalfOpen& operator=(const HalfOpen&) = delete;
  ~HalfOpen() {
    auto it = counts_->find(host_);
    if (it != counts_->end() && --it->second == 0) counts_->erase(it);
  }

 private:
  std::map<std::string, size_t>* counts_;
  std::string host_;
};

// DTLS record: content type 22 (handshake), epoch 0, then a ClientHello (handshake type 1).
bool is_client_hello(std::span<const uint8_t> d) {
  return d.size() >= 14 && d[0] == 22 && d[3] == 0 && d[4] == 0 && d[13] == 1;
}

// The cookie exchange sends from no session: GnuTLS gives the bytes to this push function.
ssize_t send_to(gnutls_transport_ptr_t ptr, const void* data, size_t size) {
  return send_reply(*static_cast<const UdpPeer*>(ptr), data, size);
}

// `mh`'s one control message: `info` at (level, type), in `buf` (room for it).
template <class Info>
void add_control(msghdr& mh, char* buf, int level, int type, const Info& info) {
  mh.msg_control = buf;
  mh.msg_controllen = CMSG_SPACE(sizeof info);
  cmsghdr* c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(sizeof info);
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
}

}  // namespace

ssize_t send_reply(const UdpPeer& p, const void* data, size_t size) {
  iovec iov{const_cast<void*>(data), size};
  msghdr mh{};
  mh.msg_name = const_cast<sockaddr_storage*>(&p.addr);
  mh.msg_namelen = p.addr_len;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  if (p.local.ss_family == AF_INET) {
    in_pktinfo pi{};
    pi.ipi_spec_dst = reinterpret_cast<const sockaddr_in&>(p.local).sin_addr;
    add_control(mh, cbuf, IPPROTO_IP, IP_PKTINFO, pi);
  } else if (p.local.ss_family == AF_INET6) {
    in6_pktinfo pi{};
    pi.ipi6_addr = reinterpret_cast<const sockaddr_in6&>(p.local).sin6_addr;
    add_control(mh, cbuf, IPPROTO_IPV6, IPV6_PKTINFO, pi);
  }
  return ::sendmsg(p.fd, &mh, MSG_DONTWAIT);
}

struct DtlsExporters::Peer {
  TlsSessionHandle session;
  UdpPeer to;
  std::deque<std::vector<uint8_t>> inbox;
  DtlsRecordQueue records;  // the rest of the datagram GnuTLS is reading
  bool established = false;
  std::optional<HalfOpen> half_open;  // until established
  double started = 0, last = 0, next_retransmit = 0;

  static ssize_t push(gnutls_transport_ptr_t ptr, const void* data, size_t size) {
    return send_reply(static_cast<Peer*>(ptr)->to, data, size);
  }
  // GnuTLS gets whole records, one per read (common/dtls_records.hpp): a forged datagram
  // ending in a header that claims more than it holds cannot swallow the exporter's next ones.
  static ssize_t pull(gnutls_transport_ptr_t ptr, void* data, size_t size) {
    auto* p = static_cast<Peer*>(ptr);
    std::span<uint8_t> out(static_cast<uint8_t*>(data), size);
    for (;;) {
      while (!p->records.empty())
        if (size_t n = p->records.take(out); n > 0) return static_cast<ssize_t>(n);
      if (p->inbox.empty()) {
        gnutls_transport_set_errno(p->session.get(), EAGAIN);
        return -1;
      }
      (void)p->records.fill(p->inbox.front());  // none whole: the datagram is dropped
      p->inbox.pop_front();
    }
  }
  static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned) {
    auto* p = static_cast<Peer*>(ptr);
    return p->inbox.empty() && p->records.empty() ? 0 : 1;
  }
};

Result<std::unique_ptr<DtlsExporters>> DtlsExporters::create(const std::string& chain_pem,
                                                             const std::string& ca_pem,
                                                             worker::SecModClient& signer, Settings s,
                                                             std::string* error) {
  std::unique_ptr<DtlsExporters> d(new DtlsExporters());
  d->s_ = s;
  d->key_.signer = &signer;
  auto cred = worker::secmod_credentials(chain_pem, &d->key_, error);
  if (!cred) return cred.error();
  d->cred_ = std::move(*cred);
  int r = 0;
  if (!ca_pem.empty()) {
    gnutls_datum_t ca{reinterpret_cast<unsigned char*>(const_cast<char*>(ca_pem.data())),
                      static_cast<unsigned>(ca_pem.size())};
    r = gnutls_certificate_set_x509_trust_mem(d->cred_.get(), &ca, GNUTLS_X509_FMT_PEM);
    if (r <= 0) {
      *error = "nvm-dtls-ca: no CA certificate could be read";
      return Errc::Crypto;
    }
    d->require_cert_ = true;
  }
  gnutls_priority_t prio = nullptr;
  if ((r = gnutls_priority_init2(&prio, kPriorities, nullptr, 0)) < 0) {
    *error = std::string("DTLS priorities: ") + gnutls_strerror(r);
    return Errc::Crypto;
  }
  d->prio_.reset(prio);
  gnutls_datum_t key{};
  if ((r = gnutls_key_generate(&key, GNUTLS_COOKIE_KEY_SIZE)) < 0) {
    *error = std::string("cookie key: ") + gnutls_strerror(r);
    return Errc::Crypto;
  }
  d->cookie_key_.assign(reinterpret_cast<const char*>(key.data), key.size);
  gnutls_free(key.data);
  return d;
}

DtlsExporters::~DtlsExporters() = default;

void DtlsExporters::on_datagram(const UdpPeer& from, std::span<const uint8_t> d, double now,
                                const Deliver& deliver) {
  std::string k = peer_key(from.addr, from.addr_len);
  auto it = peers_.find(k);
  // A known exporter's records, or its handshake's next flight. A ClientHello to a live
  // session may be the exporter starting over (a restart behind the same NAT port): it only
  // replaces the session once it returned our cookie, which a spoofer off the path cannot.
  if (it != peers_.end() && !(it->second->established && is_client_hello(d))) {
    Peer& p = *it->second;
    if (p.inbox.size() < kMaxInbox) p.inbox.emplace_back(d.begin(), d.end());  // else dropped
    if (!step(p, now, deliver)) peers_.erase(it);
    return;
  }
  if (!is_client_hello(d)) {
    ++c_.not_dtls;
    return;
  }
  gnutls_datum_t ck{reinterpret_cast<unsigned char*>(cookie_key_.data()),
                    static_cast<unsigned>(cookie_key_.size())};
  gnutls_dtls_prestate_st prestate{};
  auto* addr = const_cast<sockaddr_storage*>(&from.addr);
  int r = gnutls_dtls_cookie_verify(&ck, addr, from.addr_len, const_cast<uint8_t*>(d.data()), d.size(),
                                    &prestate);
  // Only a ClientHello that parsed but lacks our cookie gets one: a truncated datagram from a
  // spoofed address gets nothing (no reflection larger than what was sent).
  if (r == GNUTLS_E_BAD_COOKIE) {
    UdpPeer to = from;
    if (gnutls_dtls_cookie_send(&ck, addr, from.addr_len, &prestate, &to, &send_to) >= 0) ++c_.cookies_sent;
    return;
  }
  if (r < 0) {
    ++c_.not_dtls;
    return;
  }
  if (it != peers_.end()) peers_.erase(it);
  start_session(from, d, &prestate, now, deliver);
}

void DtlsExporters::start_session(const UdpPeer& from, std::span<const uint8_t> hello, void* prestate,
                                  double now, const Deliver& deliver) {
  if (peers_.size() >= s_.max_sessions) {
    ++c_.refused_no_room;
    return;
  }
  std::string host = host_key(from.addr);
  if (auto h = half_open_.find(host); h != half_open_.end() && h->second >= s_.max_half_open_per_address) {
    ++c_.refused_half_open;
    return;
  }
  auto p = std::make_unique<Peer>();
  p->half_open.emplace(half_open_, std::move(host));
  gnutls_session_t raw = nullptr;
  if (gnutls_init(&raw, GNUTLS_SERVER | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0) return;
  p->session.reset(raw);
  p->to = from;
  p->started = p->last = now;
  if (gnutls_priority_set(raw, prio_.get()) < 0 ||
      gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE, cred_.get()) < 0)
    return;
  if (require_cert_) {
    gnutls_certificate_server_set_request(raw, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_cert(raw, nullptr, 0);  // the chain must lead to nvm-dtls-ca
  }
  gnutls_dtls_prestate_set(raw, static_cast<gnutls_dtls_prestate_st*>(prestate));
  gnutls_dtls_set_mtu(raw, kMtu);
  gnutls_transport_set_ptr(raw, p.get());
  gnutls_transport_set_push_function(raw, &Peer::push);
  gnutls_transport_set_pull_function(raw, &Peer::pull);
  gnutls_transport_set_pull_timeout_function(raw, &Peer::pull_timeout);
  p->inbox.emplace_back(hello.begin(), hello.end());
  std::string k = peer_key(from.addr, from.addr_len);
  if (step(*p, now, deliver)) peers_[k] = std::move(p);
}

bool DtlsExporters::step(Peer& p, double now, const Deliver& deliver) {
  gnutls_session_t s = p.session.get();
  // E_AGAIN with records still queued: GnuTLS dropped one (forged, replayed, not of this
  // session) and stopped there.
  auto queued = [&p] { return !p.records.empty() || !p.inbox.empty(); };
  if (!p.established) {
    int r = gnutls_handshake(s);
    for (size_t i = 0; i < kMaxInbox && r == GNUTLS_E_AGAIN && queued(); ++i) r = gnutls_handshake(s);
    if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
      p.next_retransmit = now + gnutls_dtls_get_timeout(s) / 1000.0;
      return true;
    }
    if (r < 0) {
      ++c_.handshake_failures;
      return false;
    }
    p.established = true;
    p.half_open.reset();
    ++c_.handshakes;
  }
  std::vector<uint8_t>& buf = rx_;
  if (buf.empty()) buf.resize(kMaxRecord);
  // Bounded: every pass takes a record, or a datagram of the inbox (at most kMaxInbox).
  for (size_t i = 0; i < 4 * kMaxInbox; ++i) {
    ssize_t n = gnutls_record_recv(s, buf.data(), buf.size());
    if (n > 0) {
      p.last = now;
      deliver({buf.data(), static_cast<size_t>(n)}, p.to.addr);
      continue;
    }
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
      if (!queued()) return true;
      p.records.clear();  // the rest of the dropped record's datagram goes too, as in GnuTLS
      continue;
    }
    if (n == 0 || !gnutls_error_is_fatal(static_cast<int>(n))) {
      if (n == 0) return false;  // close_notify
      continue;                  // a record that did not decrypt is dropped, the session stays
    }
    return false;
  }
  return true;
}

void DtlsExporters::tick(double now) {
  for (auto it = peers_.begin(); it != peers_.end();) {
    Peer& p = *it->second;
    bool keep = true;
    if (!p.established) {
      if (now - p.started > s_.handshake_timeout) {
        ++c_.handshake_failures;
        keep = false;
      } else if (now >= p.next_retransmit) {
        keep = step(p, now, [](std::span<const uint8_t>, const sockaddr_storage&) {});
      }
    } else if (now - p.last > s_.idle_timeout) {
      keep = false;
    }
    it = keep ? std::next(it) : peers_.erase(it);
  }
}

}  // namespace sslvpn::nvm
