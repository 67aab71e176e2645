// sslvpnd-ovpn-key import: an openvpn server's configuration (server.conf) as an sslvpnd.conf
// that serves the same clients with their profiles unchanged: the same port and protocol, CA,
// certificate and key, control-channel key (tls-crypt, tls-auth, tls-crypt-v2), logins
// (certificates, the PAM plugin), address pool, pushed routes and DNS, data ciphers, keepalive,
// client-config-dir and client-connect scripts. What has no sslvpnd equivalent is named, with
// its line, in the output's closing comments and on stderr; nothing that checks a login is
// dropped silently (a login script or plugin sslvpnd cannot run becomes a password file to
// fill in, never no password).
// import_openvpn_server is a pure function of the text; run_import does the files.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "common/secret_bytes.hpp"

namespace sslvpn::ovpnkey {

struct ImportArgs {
  std::string source;    // the openvpn file, as named (for the header)
  std::string base_dir;  // where openvpn resolved relative paths: the file's directory
  std::string out;       // the sslvpnd.conf to write, an absolute path ("": standard output)
  // A file a `config` line includes (nullopt: it cannot be read); none: includes are refused.
  std::function<std::optional<std::string>(const std::string& path)> read_include;
};

struct ImportedFile {  // an inline <ca>, <key>, <tls-crypt>... block, written beside `out`
  std::string path;
  std::string text;  // wiped when it dies, on every path (a <key> or <tls-crypt> block)

  ImportedFile() = default;
  ImportedFile(std::string p, std::string t) : path(std::move(p)), text(std::move(t)) {}
  ImportedFile(const ImportedFile&) = default;
  ImportedFile(ImportedFile&&) noexcept = default;
  ImportedFile& operator=(const ImportedFile&) = default;
  ImportedFile& operator=(ImportedFile&&) noexcept = default;
  ~ImportedFile() { wipe_string(text); }
};

struct ImportResult {
  std::string config;
  std::vector<std::string> warnings;  // "line N: ...": what the server no longer does
  std::vector<std::string> weakened;  // of those, the checks on clients it no longer makes
  std::vector<ImportedFile> files;
  std::string body;                // config without its opening and closing comments
  std::vector<std::string> notes;  // what sslvpnd does of itself, or is not needed
};

// Errors (`error` says which): the file does not parse, is not a TLS server with a pool
// ("server" or "mode server" with "ifconfig"), uses TAP or pkcs12, lacks ca, cert or key, or
// has inline files while the output goes to standard output, or a value sslvpnd.conf cannot
// hold (a control character, a '"').
Result<ImportResult> import_openvpn_server(std::string_view text, const ImportArgs& a, std::string* error);

// Two openvpn servers of one VPN, one on UDP and one on TCP (openvpn runs an instance per
// transport), each imported on its own, as one sslvpnd.conf: the first's, with the second's
// port. Each had its own pool, status file and management interface: the first's serve both
// (the second's are named in warnings); max-clients is the sum. Errors (`error` says which): both
// on one transport, or any other setting differs (keys, logins, pushes, ciphers...), or an inline
// file of each would be written to one path with different contents.
Result<ImportResult> merge_imports(ImportResult first, const std::string& first_name, ImportResult second,
                                   const std::string& second_name, std::string* error);

// sslvpnd-ovpn-key import [--cd DIR] [--accept-weaker] [-o OUT] SERVER.conf [SERVER2.conf]: 0, or 1 with the
// reason on stderr. Without --accept-weaker nothing is written when a check on clients would be
// lost (a tls-verify script, a CRL directory...).
int run_import(const std::vector<std::string>& args);

}  // namespace sslvpn::ovpnkey
