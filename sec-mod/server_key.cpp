#include "sec-mod/server_key.hpp"

#include <gnutls/gnutls.h>

#include <stdexcept>

#include "common/gnutls_handles.hpp"
#include "common/secret_bytes.hpp"
#include "common/text.hpp"

namespace sslvpn::secmod {

std::string ServerKey::pin_of(const Config& c) {
  if (c.pin_file.empty()) return c.key_pin;
  std::optional<std::string> file = read_file(c.pin_file);
  if (!file) throw std::runtime_error("cannot read pin-file '" + c.pin_file + "'");
  std::string pin = file->substr(0, file->find_first_of("\r\n"));
  wipe_string(*file);
  return pin;
}

ServerKey ServerKey::load(const std::string& path, const std::string& pin) {
  std::optional<std::string> file = read_file(path);
  if (!file) throw std::runtime_error("cannot read server-key '" + path + "'");
  std::string pem = std::move(*file);
  gnutls_privkey_t raw = nullptr;
  if (gnutls_privkey_init(&raw) < 0) throw std::runtime_error("gnutls_privkey_init failed");
  Key key(raw);
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(pem.data()), static_cast<unsigned>(pem.size())};
  const char* password = pin.empty() ? nullptr : pin.c_str();
  int r = gnutls_privkey_import_x509_raw(raw, &d, GNUTLS_X509_FMT_PEM, password, 0);
  if (r < 0) r = gnutls_privkey_import_x509_raw(raw, &d, GNUTLS_X509_FMT_DER, password, 0);
  bool encrypted = pem.find("ENCRYPTED") != std::string::npos;
  wipe_string(pem);
  if (r < 0 && encrypted)
    throw std::runtime_error(
        "cannot load server-key '" + path + "': it is encrypted and " +
        (pin.empty() ? "neither key-pin nor pin-file is set" : "key-pin / pin-file is wrong"));
  if (r < 0) throw std::runtime_error("cannot load server-key '" + path + "': " + gnutls_strerror(r));
  auto rsa = RsaSigner::from(key.get());
  return ServerKey(std::move(key), std::move(rsa));
}

namespace {

std::string take_datum(gnutls_datum_t& d) {
  std::string out(reinterpret_cast<char*>(d.data), d.size);
  gnutls_free(d.data);
  d = {nullptr, 0};
  return out;
}

// What identifies `k`'s public key, compared across a key file and a certificate: the numbers
// themselves for RSA (an RSA key may sign for an RSA-PSS certificate, whose encoding differs)
// and elliptic curves, the DER SubjectPublicKeyInfo for anything else. Empty on failure.
std::string key_identity(gnutls_pubkey_t k) {
  gnutls_datum_t a{nullptr, 0}, b{nullptr, 0};
  int pk = gnutls_pubkey_get_pk_algorithm(k, nullptr);
  if (pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS) {
    if (gnutls_pubkey_export_rsa_raw2(k, &a, &b, 0) < 0) return {};
    return "rsa:" + take_datum(a) + ":" + take_datum(b);
  }
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  if (pk == GNUTLS_PK_ECDSA || pk == GNUTLS_PK_EDDSA_ED25519 || pk == GNUTLS_PK_EDDSA_ED448) {
    if (gnutls_pubkey_export_ecc_raw2(k, &curve, &a, &b, 0) < 0) return {};
    std::string x = take_datum(a);
    return "ec:" + std::to_string(curve) + ":" + x + ":" + (b.data ? take_datum(b) : std::string());
  }
  if (gnutls_pubkey_export2(k, GNUTLS_X509_FMT_DER, &a) < 0) return {};
  return "spki:" + take_datum(a);
}

// A worker names the algorithm as a number: only one GnuTLS knows may become the enum (any
// other value in a gnutls_sign_algorithm_t is undefined behaviour; the fuzzer found it).
bool known_sign_algorithm(unsigned a) {
  for (const gnutls_sign_algorithm_t* p = gnutls_sign_list(); p != nullptr && *p != 0; ++p)
    if (static_cast<unsigned>(*p) == a) return true;
  return false;
}

}  // namespace

std::string ServerKey::check_certificate(const std::string& cert_path, const std::string& key_path) const {
  std::optional<std::string> pem = read_file(cert_path);
  if (!pem) throw std::runtime_error("cannot read server-cert '" + cert_path + "'");
  gnutls_x509_crt_t raw_crt = nullptr;
  gnutls_pubkey_t raw_cert_key = nullptr, raw_own_key = nullptr;
  if (gnutls_x509_crt_init(&raw_crt) < 0) throw std::runtime_error("gnutls_x509_crt_init failed");
  X509CrtHandle crt(raw_crt);
  if (gnutls_pubkey_init(&raw_cert_key) < 0) throw std::runtime_error("gnutls_pubkey_init failed");
  PubKeyHandle cert_key(raw_cert_key);
  if (gnutls_pubkey_init(&raw_own_key) < 0) throw std::runtime_error("gnutls_pubkey_init failed");
  PubKeyHandle own_key(raw_own_key);
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(pem->data()), static_cast<unsigned>(pem->size())};
  // The first certificate of a PEM chain is the server's (main sends workers the same file).
  int r = gnutls_x509_crt_import(crt.get(), &d, GNUTLS_X509_FMT_PEM);
  if (r >= 0) r = gnutls_pubkey_import_x509(cert_key.get(), crt.get(), 0);
  if (r < 0) throw std::runtime_error("cannot parse server-cert '" + cert_path + "': " + gnutls_strerror(r));
  if ((r = gnutls_pubkey_import_privkey(own_key.get(), key_.get(), 0, 0)) < 0)
    throw std::runtime_error("cannot read the public half of server-key '" + key_path +
                             "': " + gnutls_strerror(r));
  std::string a = key_identity(cert_key.get()), b = key_identity(own_key.get());
  if (a.empty() || a != b)
    throw std::runtime_error("server-cert '" + cert_path + "' does not match server-key '" + key_path +
                             "' (the certificate holds another public key)");
  unsigned char id[32];
  size_t id_size = sizeof id;
  if ((r = gnutls_pubkey_get_key_id(cert_key.get(), GNUTLS_KEYID_USE_SHA256, id, &id_size)) < 0)
    throw std::runtime_error("cannot hash the public key of server-cert '" + cert_path +
                             "': " + gnutls_strerror(r));
  return std::string(reinterpret_cast<const char*>(id), id_size);
}

Result<std::string> ServerKey::sign(bool hash, unsigned algorithm, unsigned flags,
                                    std::string_view data) const {
  if (!known_sign_algorithm(algorithm)) return Errc::Malformed;
  if (rsa_) {
    auto fast = rsa_->sign(hash, algorithm, flags, data);
    if (fast.ok() || fast.error() != Errc::UnknownType) return fast;
  }
  gnutls_datum_t in{reinterpret_cast<unsigned char*>(const_cast<char*>(data.data())),
                    static_cast<unsigned>(data.size())};
  gnutls_datum_t sig{nullptr, 0};
  auto algo = static_cast<gnutls_sign_algorithm_t>(algorithm);
  int r = hash ? gnutls_privkey_sign_hash2(key_.get(), algo, flags, &in, &sig)
               : gnutls_privkey_sign_data2(key_.get(), algo, flags, &in, &sig);
  if (r < 0) return Errc::Crypto;
  std::string out(reinterpret_cast<char*>(sig.data), sig.size);
  gnutls_free(sig.data);
  return out;
}

}  // namespace sslvpn::secmod
