#include "worker/prepared_chains.hpp"

namespace sslvpn::worker {
namespace {

// Chains longer than this are certainly a misconfiguration.
constexpr unsigned kMaxChain = 16;

// The names GnuTLS would take from the leaf: DNS subject alternative names, else the CN.
std::vector<std::string> leaf_names(const gnutls_pcert_st& leaf) {
  std::vector<std::string> names;
  gnutls_x509_crt_t raw = nullptr;
  if (gnutls_x509_crt_init(&raw) < 0) return names;
  X509CrtHandle crt(raw);
  if (gnutls_x509_crt_import(raw, &leaf.cert, GNUTLS_X509_FMT_DER) < 0) return names;
  char buf[256];
  for (unsigned i = 0; i < 64; ++i) {
    size_t size = sizeof buf;
    int type = gnutls_x509_crt_get_subject_alt_name(raw, i, buf, &size, nullptr);
    if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
    if (type == GNUTLS_SAN_DNSNAME) names.emplace_back(buf, size);
  }
  if (names.empty()) {
    size_t size = sizeof buf;
    if (gnutls_x509_crt_get_dn_by_oid(raw, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &size) >= 0)
      names.emplace_back(buf, size);
  }
  return names;
}

}  // namespace

std::string leaf_key_id(const gnutls_pcert_st& leaf) {
  unsigned char id[32];
  size_t id_size = sizeof id;
  if (gnutls_pubkey_get_key_id(leaf.pubkey, GNUTLS_KEYID_USE_SHA256, id, &id_size) < 0) return {};
  return std::string(reinterpret_cast<const char*>(id), id_size);
}

Result<std::unique_ptr<PcertList>> parse_chain(std::string_view pem, int* gnutls_error) {
  auto pcerts = std::make_unique<PcertList>(kMaxChain);
  unsigned n = pcerts->capacity();
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                   static_cast<unsigned>(pem.size())};
  int r = gnutls_pcert_list_import_x509_raw(pcerts->data(), &n, &d, GNUTLS_X509_FMT_PEM, 0);
  if (r < 0 || n == 0) {
    *gnutls_error = r < 0 ? r : GNUTLS_E_NO_CERTIFICATE_FOUND;
    return Errc::Crypto;
  }
  pcerts->set_count(n);
  return pcerts;
}

void PreparedChains::add(std::string pem) {
  if (chains_.size() >= kMaxChains) return;
  for (const auto& c : chains_)
    if (c.first == pem) return;
  int error = 0;
  auto parsed = parse_chain(pem, &error);
  if (!parsed.ok()) return;
  ParsedChain c;
  c.names = leaf_names((*parsed)->data()[0]);
  c.key_id = leaf_key_id((*parsed)->data()[0]);
  c.pcerts = std::move(*parsed);
  chains_.emplace_back(std::move(pem), std::move(c));
}

void PreparedChains::add_priorities(const std::string& priorities) {
  if (priorities_.size() >= kMaxChains) return;
  for (const auto& p : priorities_)
    if (p.first == priorities) return;
  gnutls_priority_t raw = nullptr;
  if (gnutls_priority_init2(&raw, priorities.c_str(), nullptr, 0) < 0) return;
  priorities_.emplace_back(priorities, TlsPriorityHandle(raw));
}

TlsPriorityHandle PreparedChains::take_priorities(std::string_view priorities) {
  for (auto& p : priorities_)
    if (p.second && p.first == priorities) return std::move(p.second);
  return TlsPriorityHandle();
}

std::optional<ParsedChain> PreparedChains::take(std::string_view pem) {
  for (auto& c : chains_)
    if (c.second.pcerts && c.first == pem) return std::move(c.second);
  return std::nullopt;
}

}  // namespace sslvpn::worker
