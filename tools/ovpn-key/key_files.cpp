#include "tools/ovpn-key/key_files.hpp"

#include <fcntl.h>
#include <gnutls/crypto.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "common/text.hpp"
#include "worker/openvpn/tls_crypt_v2.hpp"

namespace sslvpn::ovpnkey {

bool write_new(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "sslvpnd-ovpn-key: cannot create '%s': %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) std::fprintf(stderr, "sslvpnd-ovpn-key: cannot write '%s'\n", path.c_str());
  return ok;
}

bool random_bytes(size_t n, std::string* out) {
  out->assign(n, '\0');
  return gnutls_rnd(GNUTLS_RND_KEY, out->data(), n) == 0;
}

Result<SecretBytes> load_server_key(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    std::fprintf(stderr, "sslvpnd-ovpn-key: cannot read '%s'\n", path.c_str());
    return Errc::NotFound;
  }
  auto k = ovpn::parse_tls_crypt_v2_server_key(*text);
  wipe_string(*text);
  if (!k.ok())
    std::fprintf(stderr, "sslvpnd-ovpn-key: '%s' is not a tls-crypt-v2 server key\n", path.c_str());
  return k;
}

bool new_client_key(const std::string& server_path, const std::string* metadata, std::string* pem) {
  auto server = load_server_key(server_path);
  if (!server.ok()) return false;
  std::vector<uint8_t> md;
  if (metadata != nullptr) {
    md.push_back(ovpn::kMetadataUser);
    md.insert(md.end(), metadata->begin(), metadata->end());
  } else {
    md.push_back(ovpn::kMetadataTimestamp);
    uint64_t now = static_cast<uint64_t>(std::time(nullptr));
    for (int s = 56; s >= 0; s -= 8) md.push_back(static_cast<uint8_t>(now >> s));
  }
  if (md.size() > ovpn::kMaxMetadata) {
    std::fprintf(stderr, "sslvpnd-ovpn-key: the metadata is longer than %zu bytes\n", ovpn::kMaxMetadata - 1);
    return false;
  }
  std::string kc;
  if (!random_bytes(ovpn::kTlsCryptV2ClientKey, &kc)) return false;
  auto wkc = ovpn::wrap_client_key(server->view(), kc, md);
  if (wkc.ok()) *pem = ovpn::format_tls_crypt_v2_client_key(kc, *wkc);
  wipe_string(kc);
  return wkc.ok();
}

}  // namespace sslvpn::ovpnkey
