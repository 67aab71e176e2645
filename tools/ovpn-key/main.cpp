// sslvpnd-ovpn-key: OpenVPN tls-crypt-v2 keys in openvpn's own file formats.
//   sslvpnd-ovpn-key server FILE
//       a new server key (the one openvpn-tls-crypt-v2 names)
//   sslvpnd-ovpn-key client --server-key FILE [--metadata TEXT] FILE
//       a new client key wrapped with the server key; the metadata (free text, at most 733
//       bytes) travels inside it, readable only with the server key; without --metadata the
//       key carries its creation time, as `openvpn --genkey tls-crypt-v2-client` does
//   sslvpnd-ovpn-key auth-token FILE
//       a new login-token secret (openvpn-auth-token-secret; openvpn --genkey auth-token's format)
//   sslvpnd-ovpn-key show --server-key FILE CLIENT-FILE
//       checks that a client key was made with that server key and prints its metadata
//   sslvpnd-ovpn-key profile [-c CONFIG] [--remote HOST] [--ca FILE] [--metadata TEXT] FILE
//       a complete openvpn client profile for this server (profile.cpp)
//   sslvpnd-ovpn-key import [--cd DIR] [--accept-weaker] [-o OUT.conf] SERVER.conf [SERVER2.conf]
//       an openvpn server's configuration as an sslvpnd.conf serving the same clients (import.cpp)
// Files are created with mode 0600 and never overwritten. The keys are interchangeable with
// openvpn's: `openvpn --genkey tls-crypt-v2-server` output works as the server key, and
// client keys from either tool work with either server.
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "common/secret_bytes.hpp"
#include "common/text.hpp"
#include "tools/ovpn-key/import.hpp"
#include "tools/ovpn-key/key_files.hpp"
#include "tools/ovpn-key/profile.hpp"
#include "worker/openvpn/auth_token.hpp"
#include "worker/openvpn/tls_crypt_v2.hpp"

using namespace sslvpn;
using ovpnkey::load_server_key;
using ovpnkey::random_bytes;
using ovpnkey::write_new;

namespace {

int usage() {
  std::fprintf(
      stderr,
      "usage: sslvpnd-ovpn-key server FILE\n"
      "       sslvpnd-ovpn-key client --server-key FILE [--metadata TEXT] FILE\n"
      "       sslvpnd-ovpn-key show --server-key FILE CLIENT-FILE\n"
      "       sslvpnd-ovpn-key auth-token FILE\n"
      "       sslvpnd-ovpn-key profile [-c CONFIG] [--remote HOST] [--ca FILE] [--metadata TEXT] FILE\n"
      "       sslvpnd-ovpn-key import [--cd DIR] [--accept-weaker] [-o OUT.conf] SERVER.conf "
      "[SERVER2.conf]\n");
  return 2;
}

int make_server(const std::string& path) {
  std::string key;
  if (!random_bytes(ovpn::kTlsCryptV2ServerKey, &key)) return 1;
  std::string pem = ovpn::format_tls_crypt_v2_server_key(key);
  wipe_string(key);
  bool ok = write_new(path, pem);
  wipe_string(pem);
  return ok ? 0 : 1;
}

int make_token_secret(const std::string& path) {
  std::string key;
  if (!random_bytes(ovpn::kAuthTokenKeyFile, &key)) return 1;
  std::string pem = ovpn::format_auth_token_secret(key);
  wipe_string(key);
  bool ok = write_new(path, pem);
  wipe_string(pem);
  return ok ? 0 : 1;
}

int make_client(const std::string& server_path, const std::string* metadata, const std::string& path) {
  std::string pem;
  if (!ovpnkey::new_client_key(server_path, metadata, &pem)) return 1;
  bool ok = ovpnkey::write_new(path, pem);
  wipe_string(pem);
  return ok ? 0 : 1;
}

int show_client(const std::string& server_path, const std::string& path) {
  auto server = load_server_key(server_path);
  if (!server.ok()) return 1;
  auto text = read_file(path);
  if (!text) {
    std::fprintf(stderr, "sslvpnd-ovpn-key: cannot read '%s'\n", path.c_str());
    return 1;
  }
  auto client = ovpn::parse_tls_crypt_v2_client_key(*text);
  wipe_string(*text);
  if (!client.ok()) {
    std::fprintf(stderr, "sslvpnd-ovpn-key: '%s' is not a tls-crypt-v2 client key\n", path.c_str());
    return 1;
  }
  auto key = ovpn::unwrap_client_key(server->view(), client->second);
  if (!key.ok() || key->kc.view() != client->first.view()) {
    std::fprintf(stderr, "sslvpnd-ovpn-key: '%s' was not made with this server key\n", path.c_str());
    return 1;
  }
  const auto& md = key->metadata;
  if (!md.empty() && md[0] == ovpn::kMetadataTimestamp && md.size() == 9) {
    uint64_t t = 0;
    for (size_t i = 1; i < 9; ++i) t = t << 8 | md[i];
    std::printf("valid; made %llu (unix time)\n", static_cast<unsigned long long>(t));
  } else if (!md.empty() && md[0] == ovpn::kMetadataUser) {
    std::string s(md.begin() + 1, md.end());
    for (char& c : s)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    std::printf("valid; metadata: %s\n", s.c_str());
  } else {
    std::printf("valid; metadata of type %d, %zu bytes\n", md.empty() ? -1 : md[0], md.size());
  }
  return 0;
}

int profile(const std::vector<std::string>& a) {
  ovpnkey::ProfileArgs p;
  std::string metadata;
  for (size_t i = 1; i < a.size(); ++i) {
    bool value = i + 1 < a.size();
    if ((a[i] == "-c" || a[i] == "--config") && value) {
      p.config = a[++i];
    } else if (a[i] == "--remote" && value) {
      p.remote = a[++i];
    } else if (a[i] == "--ca" && value) {
      p.ca = a[++i];
    } else if (a[i] == "--metadata" && value) {
      metadata = a[++i];
      p.metadata = &metadata;
    } else if (p.out.empty() && !a[i].starts_with("-")) {
      p.out = a[i];
    } else {
      return usage();
    }
  }
  return p.out.empty() ? usage() : ovpnkey::make_profile(p);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (!a.empty() && a[0] == "profile") return profile(a);
  if (!a.empty() && a[0] == "import") return ovpnkey::run_import(a);
  if (a.size() == 2 && a[0] == "server") return make_server(a[1]);
  if (a.size() == 2 && a[0] == "auth-token") return make_token_secret(a[1]);
  std::string server, metadata;
  bool has_metadata = false;
  std::vector<std::string> rest;
  for (size_t i = 1; i < a.size(); ++i) {
    if (a[i] == "--server-key" && i + 1 < a.size()) {
      server = a[++i];
    } else if (a[i] == "--metadata" && i + 1 < a.size()) {
      metadata = a[++i];
      has_metadata = true;
    } else {
      rest.push_back(a[i]);
    }
  }
  if (a.empty() || server.empty() || rest.size() != 1) return usage();
  if (a[0] == "client") return make_client(server, has_metadata ? &metadata : nullptr, rest[0]);
  if (a[0] == "show" && !has_metadata) return show_client(server, rest[0]);
  return usage();
}
