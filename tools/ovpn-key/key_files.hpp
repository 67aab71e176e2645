// sslvpnd-ovpn-key's files: creating them (mode 0600, never overwriting), and the keys it
// makes, in openvpn's own formats (they are read with common/text.hpp's read_file).
#pragma once

#include <string>

#include "common/result.hpp"
#include "common/secret_bytes.hpp"

namespace sslvpn::ovpnkey {

// Creates `path` with mode 0600; fails (saying why on stderr) if it exists.
bool write_new(const std::string& path, const std::string& text);
bool random_bytes(size_t n, std::string* out);
// The tls-crypt-v2 server key in `path` (errors on stderr).
Result<SecretBytes> load_server_key(const std::string& path);
// A new tls-crypt-v2 client key wrapped with the server key in `server_path`, as openvpn's PEM;
// `metadata` (null: the creation time) travels inside it. False with the reason on stderr.
bool new_client_key(const std::string& server_path, const std::string* metadata, std::string* pem);

}  // namespace sslvpn::ovpnkey
