#include "worker/secmod_credentials.hpp"

#include <cstring>
#include <string_view>

namespace sslvpn::worker {
namespace {

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

int info_cb(gnutls_privkey_t, unsigned flags, void* userdata) {
  auto* k = static_cast<ExternalKey*>(userdata);
  if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO) return k->pk;
  if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS) return static_cast<int>(k->bits);
  if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO) {
    auto sig = static_cast<gnutls_sign_algorithm_t>(GNUTLS_FLAGS_TO_SIGN_ALGO(flags));
    return gnutls_sign_supports_pk_algorithm(sig, k->pk) ? 1 : 0;
  }
  return -1;
}

int sign_data_cb(gnutls_privkey_t, gnutls_sign_algorithm_t algo, void* userdata, unsigned flags,
                 const gnutls_datum_t* data, gnutls_datum_t* sig) {
  auto* k = static_cast<ExternalKey*>(userdata);
  return copy_signature(k->signer->sign(false, algo, flags, view(data), *k), sig);
}

int sign_hash_cb(gnutls_privkey_t, gnutls_sign_algorithm_t algo, void* userdata, unsigned flags,
                 const gnutls_datum_t* hash, gnutls_datum_t* sig) {
  auto* k = static_cast<ExternalKey*>(userdata);
  return copy_signature(k->signer->sign(true, algo, flags, view(hash), *k), sig);
}

}  // namespace

Result<void> add_secmod_key(gnutls_certificate_credentials_t cred, const std::string& chain_pem,
                            ExternalKey* key, std::string* error, PreparedChains* prepared) {
  auto fail = [&](const std::string& what, int r) -> Result<void> {
    *error = what + ": " + gnutls_strerror(r);
    return Errc::Crypto;
  };
  std::optional<ParsedChain> ready = prepared != nullptr ? prepared->take(chain_pem) : std::nullopt;
  std::unique_ptr<PcertList> pcerts;
  // With names, gnutls_certificate_set_key does not parse the leaf again to find them.
  std::vector<const char*> names;
  if (ready) {
    pcerts = std::move(ready->pcerts);
    for (const auto& n : ready->names) names.push_back(n.c_str());
    key->id = std::move(ready->key_id);
  } else {
    int gr = 0;
    auto parsed = parse_chain(chain_pem, &gr);
    if (!parsed) return fail("cannot parse the server certificate chain", gr);
    pcerts = std::move(*parsed);
    key->id.clear();
  }
  unsigned n = pcerts->count();
  int r = 0;
  key->pk = static_cast<gnutls_pk_algorithm_t>(
      gnutls_pubkey_get_pk_algorithm(pcerts->data()[0].pubkey, &key->bits));
  if (key->id.empty()) key->id = leaf_key_id(pcerts->data()[0]);
  if (key->id.empty()) return fail("gnutls_pubkey_get_key_id", GNUTLS_E_INTERNAL_ERROR);
  gnutls_privkey_t raw_key = nullptr;
  if ((r = gnutls_privkey_init(&raw_key)) < 0) return fail("gnutls_privkey_init", r);
  PrivKeyHandle pk(raw_key);
  r = gnutls_privkey_import_ext4(pk.get(), key, &sign_data_cb, &sign_hash_cb, nullptr, nullptr, &info_cb, 0);
  if (r < 0) return fail("gnutls_privkey_import_ext4", r);
  // On success the credentials own both the certificates and the key.
  if ((r = gnutls_certificate_set_key(cred, names.empty() ? nullptr : names.data(),
                                      static_cast<int>(names.size()), pcerts->data(), static_cast<int>(n),
                                      pk.get())) < 0)
    return fail("gnutls_certificate_set_key", r);
  (void)pk.release();
  pcerts->release();
  return {};
}

Result<CertCredentialsHandle> secmod_credentials(const std::string& chain_pem, ExternalKey* key,
                                                 std::string* error, PreparedChains* prepared) {
  gnutls_certificate_credentials_t raw_cred = nullptr;
  if (int r = gnutls_certificate_allocate_credentials(&raw_cred); r < 0) {
    *error = std::string("credentials: ") + gnutls_strerror(r);
    return Errc::Crypto;
  }
  CertCredentialsHandle cred(raw_cred);
  // GnuTLS would check that the key fits the certificate by signing through sec-mod and
  // verifying here, in every worker: sec-mod checks it once when it loads the key
  // (ServerKey::check_certificate).
  gnutls_certificate_set_flags(cred.get(), GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
  if (auto r = add_secmod_key(cred.get(), chain_pem, key, error, prepared); !r) return r.error();
  return cred;
}

}  // namespace sslvpn::worker
