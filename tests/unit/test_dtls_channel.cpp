// The worker's DTLS channel (worker/anyconnect/dtls_channel.cpp) against a real GnuTLS client
// over loopback UDP: forged datagrams on the live socket (bogus records, a header that claims
// 16 kB, an empty datagram) cost nothing but themselves; a datagram of several records gives
// them all; a new path's check reads its own datagram's first record and nothing else.
#include <arpa/inet.h>
#include <gnutls/dtls.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "tests/unit/udp_pair.hpp"
#include "worker/anyconnect/dtls_channel.hpp"

using namespace sslvpn;
using namespace sslvpn::worker;

namespace {

const std::string kPsk(32, '\x5a');

using sslvpn::testing::UdpPair;

// A GnuTLS DTLS client whose records the test sends itself (alone, packed, or not at all).
struct Client {
  gnutls_session_t s = nullptr;
  gnutls_psk_client_credentials_t cred = nullptr;
  int fd;
  std::vector<std::string> out;  // datagrams GnuTLS made, not yet sent
  bool hold = false;             // keep them (the test decides what to send)

  explicit Client(int udp) : fd(udp) {
    gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK);
    gnutls_psk_allocate_client_credentials(&cred);
    gnutls_datum_t key{reinterpret_cast<unsigned char*>(const_cast<char*>(kPsk.data())), 32};
    gnutls_psk_set_client_credentials(cred, "psk", &key, GNUTLS_PSK_KEY_RAW);
    gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK:-CIPHER-ALL:+AES-256-GCM",
                               nullptr);
    gnutls_credentials_set(s, GNUTLS_CRD_PSK, cred);
    gnutls_transport_set_ptr(s, this);
    gnutls_transport_set_push_function(s, [](gnutls_transport_ptr_t p, const void* b, size_t n) -> ssize_t {
      auto* c = static_cast<Client*>(p);
      c->out.emplace_back(static_cast<const char*>(b), n);
      if (!c->hold) c->flush();
      return static_cast<ssize_t>(n);
    });
    gnutls_transport_set_pull_function(s, [](gnutls_transport_ptr_t p, void* b, size_t n) -> ssize_t {
      auto* c = static_cast<Client*>(p);
      ssize_t r = ::recv(c->fd, b, n, MSG_DONTWAIT);
      if (r < 0) gnutls_transport_set_errno(c->s, EAGAIN);
      return r;
    });
    gnutls_transport_set_pull_timeout_function(s, [](gnutls_transport_ptr_t, unsigned) { return 1; });
    gnutls_dtls_set_mtu(s, 1400);
  }
  ~Client() {
    gnutls_deinit(s);
    gnutls_psk_free_client_credentials(cred);
  }
  void flush() {
    for (const auto& d : out) ::send(fd, d.data(), d.size(), 0);
    out.clear();
  }
  void raw(const std::string& d) { ::send(fd, d.data(), d.size(), 0); }
  // One application-data record, kept for the test to send.
  std::string record(const std::string& payload) {
    hold = true;
    REQUIRE(gnutls_record_send(s, payload.data(), payload.size()) == static_cast<ssize_t>(payload.size()));
    REQUIRE(out.size() == 1);
    std::string r = std::move(out[0]);
    out.clear();
    hold = false;
    return r;
  }
};

std::string header(uint8_t type, uint16_t epoch, uint16_t length) {
  return std::string{static_cast<char>(type),
                     '\xfe',
                     '\xfd',
                     static_cast<char>(epoch >> 8),
                     static_cast<char>(epoch),
                     0,
                     0,
                     0,
                     0,
                     0,
                     9,
                     static_cast<char>(length >> 8),
                     static_cast<char>(length)};
}

// A bogus application-data record of the live epoch with `n` bytes of "ciphertext".
std::string bogus(size_t n) {
  return header(23, 1, static_cast<uint16_t>(n)) + std::string(n, '\x77');
}

struct Established {
  UdpPair udp;
  std::unique_ptr<DtlsChannel> server;
  Client client{udp.client.get()};
  uint8_t buf[20000];

  Established() {
    DtlsSetup setup;
    setup.psk = SecretBytes(kPsk);
    std::string error;
    auto c = DtlsChannel::create(setup, std::move(udp.server), "", &error);
    INFO(error);
    REQUIRE(c.ok());
    server = std::move(c).value();
    bool client_done = false, server_done = false;
    for (int i = 0; i < 2000 && !(client_done && server_done); ++i) {
      if (!client_done) {
        int r = gnutls_handshake(client.s);
        REQUIRE((r == 0 || r == GNUTLS_E_AGAIN));
        client_done = r == 0;
      }
      if (!server_done) {
        auto r = server->handshake();
        REQUIRE(r.ok());
        server_done = *r;
      }
      ::usleep(200);
    }
    REQUIRE(client_done);
    REQUIRE(server_done);
  }
  // What the server reads: a record's plaintext, "" when nothing came within ~50 ms.
  std::string read() {
    for (int i = 0; i < 50; ++i) {
      auto n = server->recv(buf);
      if (n.ok()) return std::string(reinterpret_cast<char*>(buf), *n);
      REQUIRE(n.error() == Errc::Timeout);  // never Closed or Io: the channel lives
      ::usleep(1000);
    }
    return "";
  }
};

}  // namespace

TEST_CASE("DTLS channel: forged datagrams on the live socket cost only themselves", "[dtls]") {
  Established e;
  e.client.raw(e.client.record("one"));
  CHECK(e.read() == "one");

  // A datagram packed with bogus records, then the client's next one.
  std::string packed;
  while (packed.size() < 16000) packed += bogus(12);
  e.client.raw(packed);
  e.client.raw(e.client.record("two"));
  CHECK(e.read() == "two");

  // A junk record and a header claiming 16 kB: GnuTLS would fill it from the next datagrams.
  e.client.raw(bogus(20) + header(23, 1, 0x3f00) + "\xde\xad");
  e.client.raw(e.client.record("three"));
  e.client.raw(e.client.record("four"));
  CHECK(e.read() == "three");
  CHECK(e.read() == "four");

  // An empty datagram: once read as the end of the session.
  e.client.raw("");
  e.client.raw(e.client.record("five"));
  CHECK(e.read() == "five");

  // A replayed record is dropped, and the channel goes on.
  std::string six = e.client.record("six");
  e.client.raw(six);
  e.client.raw(six);
  e.client.raw(e.client.record("seven"));
  CHECK(e.read() == "six");
  CHECK(e.read() == "seven");
  CHECK(e.read().empty());
}

TEST_CASE("DTLS channel: a datagram of several records gives each", "[dtls]") {
  Established e;
  std::string a = e.client.record("alpha"), b = e.client.record("beta"), c = e.client.record("gamma");
  e.client.raw(a + b + c);
  CHECK(e.read() == "alpha");
  CHECK(e.server->pending() > 0);  // the rest waits in the channel, not in the socket
  CHECK(e.read() == "beta");
  CHECK(e.read() == "gamma");
  CHECK(e.read().empty());
}

TEST_CASE("DTLS channel: a new path's check reads its own first record only", "[dtls]") {
  Established e;
  uint8_t out[2048];
  // A live datagram waits in the socket while a forged datagram from a new port is checked:
  // the check fails, and the live one is still there afterwards.
  e.client.raw(e.client.record("live"));
  ::usleep(2000);
  CHECK_FALSE(e.server->check_new_path(bogus(40), out).ok());
  CHECK(e.read() == "live");

  // An authentic record from the new port passes, with its plaintext.
  std::string moved = e.client.record("moved");
  auto n = e.server->check_new_path(moved, out);
  REQUIRE(n.ok());
  CHECK(std::string(reinterpret_cast<char*>(out), *n) == "moved");
  // Replayed from elsewhere, the same record does not pass again.
  CHECK_FALSE(e.server->check_new_path(moved, out).ok());

  // A forged first record followed by an authentic one (copied off the wire): only the first
  // record is the datagram's, so it fails, and the authentic one is not consumed by it.
  std::string later = e.client.record("later");
  CHECK_FALSE(e.server->check_new_path(bogus(40) + later, out).ok());
  e.client.raw(later);
  CHECK(e.read() == "later");

  // Records of a live datagram still queued in the channel are not read as the check's.
  std::string p = e.client.record("p"), q = e.client.record("q");
  e.client.raw(p + q);
  CHECK(e.read() == "p");  // "q" waits in the channel
  CHECK_FALSE(e.server->check_new_path(bogus(40), out).ok());
  CHECK(e.read() == "q");
}
