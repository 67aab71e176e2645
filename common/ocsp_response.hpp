// ocsp-response (ocserv's): an OCSP response for the server's certificate that the workers
// staple to their TLS handshakes (the status_request extension), so that clients need not ask
// the CA's responder. Main reads and checks the file at start and on each reload; the bytes
// travel to the workers with the certificate chain.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace sslvpn {

// An OCSP response (DER) is a few kB; a larger file is refused.
constexpr size_t kMaxOcspResponse = 16 * 1024;

struct OcspResponseFile {
  std::string der;                    // what to staple, or empty: nothing
  std::vector<std::string> warnings;  // why not, or what is odd about it
};

// Reads `file` and checks it against the leaf (the first certificate) of `chain_pem`: a file
// that cannot be read, is larger than kMaxOcspResponse, is no DER OCSP response, is not a
// successful one, is about another certificate, says the certificate is revoked or has expired
// at `now` is not stapled, and a warning says why. Never fails the configuration: ocserv starts
// without its response too. (A response that expires later is no longer sent from then on: GnuTLS
// checks its next-update time at each handshake.)
OcspResponseFile load_ocsp_response(const std::string& file, std::string_view chain_pem, time_t now);

}  // namespace sslvpn
