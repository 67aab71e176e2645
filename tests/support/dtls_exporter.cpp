// A DTLS IPFIX exporter for the NVM collector's tests (nvm-dtls): sends the datagrams of a file
// written by tests/e2e/nvzflow_gen.py --out (each prefixed with its 4-byte length) as DTLS 1.2
// records, one message per record (RFC 7011 10.4.2). Exits 0 once all were sent, 1 when the
// handshake fails (printing GnuTLS's reason), 2 on usage errors.
//   dtls_exporter HOST PORT FILE --ca SERVER-CA.pem [--cert CERT.pem --key KEY.pem]
#include <arpa/inet.h>
#include <gnutls/dtls.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

int usage() {
  std::fprintf(stderr, "usage: dtls_exporter HOST PORT FILE --ca CA.pem [--cert CERT.pem --key KEY.pem]\n");
  return 2;
}

std::vector<std::string> read_datagrams(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  size_t i = 0;
  while (i + 4 <= all.size()) {
    uint32_t n = (uint32_t(uint8_t(all[i])) << 24) | (uint32_t(uint8_t(all[i + 1])) << 16) |
                 (uint32_t(uint8_t(all[i + 2])) << 8) | uint8_t(all[i + 3]);
    if (i + 4 + n > all.size()) break;
    out.push_back(all.substr(i + 4, n));
    i += 4 + n;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) return usage();
  std::string ca, cert, key;
  for (int i = 4; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--ca")
      ca = argv[i + 1];
    else if (k == "--cert")
      cert = argv[i + 1];
    else if (k == "--key")
      key = argv[i + 1];
    else
      return usage();
  }
  auto msgs = read_datagrams(argv[3]);
  if (msgs.empty()) {
    std::fprintf(stderr, "dtls_exporter: no datagrams in %s\n", argv[3]);
    return 2;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) return usage();
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    std::perror("dtls_exporter: connect");
    return 1;
  }
  gnutls_certificate_credentials_t cred;
  gnutls_certificate_allocate_credentials(&cred);
  if (gnutls_certificate_set_x509_trust_file(cred, ca.c_str(), GNUTLS_X509_FMT_PEM) <= 0) {
    std::fprintf(stderr, "dtls_exporter: cannot read CA %s\n", ca.c_str());
    return 2;
  }
  if (!cert.empty() &&
      gnutls_certificate_set_x509_key_file(cred, cert.c_str(), key.c_str(), GNUTLS_X509_FMT_PEM) < 0) {
    std::fprintf(stderr, "dtls_exporter: cannot read %s / %s\n", cert.c_str(), key.c_str());
    return 2;
  }
  gnutls_session_t s;
  gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_DATAGRAM);
  gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-DTLS1.2", nullptr);
  gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
  gnutls_session_set_verify_cert(s, nullptr, 0);  // the collector's certificate must lead to CA
  gnutls_transport_set_int(s, fd);
  gnutls_dtls_set_mtu(s, 1400);
  gnutls_handshake_set_timeout(s, 10000);
  int r;
  do {
    r = gnutls_handshake(s);
  } while (r < 0 && !gnutls_error_is_fatal(r));
  if (r < 0) {
    std::fprintf(stderr, "dtls_exporter: handshake failed: %s\n", gnutls_strerror(r));
    return 1;
  }
  size_t sent = 0;
  for (const auto& m : msgs) {
    if (gnutls_record_send(s, m.data(), m.size()) < 0) break;
    ++sent;
    ::usleep(2000);  // an exporter's pace, not a burst the socket buffer has to take whole
  }
  gnutls_bye(s, GNUTLS_SHUT_WR);
  std::printf("sent %zu of %zu messages over DTLS\n", sent, msgs.size());
  gnutls_deinit(s);
  gnutls_certificate_free_credentials(cred);
  ::close(fd);
  return sent == msgs.size() ? 0 : 1;
}
