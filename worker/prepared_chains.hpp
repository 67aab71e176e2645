// Server certificate chains parsed once, by the zygote, for the workers it forks. Parsing a
// chain (DER decoding and public-key import in GnuTLS) was about a tenth of a worker's CPU
// time per login; the certificates are public, so a worker may as well find them parsed in
// the memory it shares with the zygote. Main sends the chains at start and after each reload.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/gnutls_handles.hpp"
#include "common/result.hpp"

namespace sslvpn::worker {

// A PEM chain (leaf first), parsed; at most kMaxChain certificates.
Result<std::unique_ptr<PcertList>> parse_chain(std::string_view pem, int* gnutls_error);

// The SHA-256 key id of a certificate's public key (of its SubjectPublicKeyInfo), which names
// the key to sec-mod (SignRequest.key_id); empty if GnuTLS cannot compute it.
std::string leaf_key_id(const gnutls_pcert_st& leaf);

// A parsed chain, the leaf's names as gnutls_certificate_set_key reads them (its DNS subject
// alternative names, else its common name), so that it need not parse the leaf again, and the
// leaf's key id (encoding the key for it was a tenth of a worker's CPU per login).
struct ParsedChain {
  std::unique_ptr<PcertList> pcerts;
  std::vector<std::string> names;
  std::string key_id;
};

class PreparedChains {
 public:
  static constexpr size_t kMaxChains = 256;  // the default host's and each [vhost:]'s

  void clear() {
    chains_.clear();
    priorities_.clear();
  }
  // Parses and keeps `pem`. A chain that does not parse is not kept: the worker that needs it
  // parses it and reports the error.
  void add(std::string pem);
  size_t size() const { return chains_.size(); }
  // The parsed chain of exactly this PEM, handed over to the caller (in a forked worker, its own
  // copy), or null: the caller parses it.
  std::optional<ParsedChain> take(std::string_view pem);

  // A tls-priorities string parsed once (gnutls_priority_init2 was about 4 % of a worker's CPU
  // per login); one that does not parse is not kept: the worker reports the error.
  void add_priorities(const std::string& priorities);
  // The parsed priorities of exactly this string, handed over (null: the caller parses them).
  TlsPriorityHandle take_priorities(std::string_view priorities);

 private:
  std::vector<std::pair<std::string, ParsedChain>> chains_;
  std::vector<std::pair<std::string, TlsPriorityHandle>> priorities_;
};

}  // namespace sslvpn::worker
