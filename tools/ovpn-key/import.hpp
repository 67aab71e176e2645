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

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sslvpn::ovpnkey {

struct ImportArgs {
  std::string source;    // the openvpn file, as named (for the header)
  std::string base_dir;  // where openvpn resolved relative paths: the file's directory
  std::string out;       // the sslvpnd.conf to write ("": standard output)
};

struct ImportedFile {  // an inline <ca>, <key>, <tls-crypt>... block, written beside `out`
  std::string path;
  std::string text;
};

struct ImportResult {
  std::string config;
  std::vector<std::string> warnings;  // "line N: ...": what the server no longer does
  std::vector<ImportedFile> files;
};

// Errors (`error` says which): the file does not parse, is not a TLS server with a pool
// ("server" or "mode server" with "ifconfig"), uses TAP or pkcs12, lacks ca, cert or key, or
// has inline files while the output goes to standard output.
Result<ImportResult> import_openvpn_server(std::string_view text, const ImportArgs& a, std::string* error);

// sslvpnd-ovpn-key import [-o OUT] SERVER.conf: 0, or 1 with the reason on stderr.
int run_import(const std::vector<std::string>& args);

}  // namespace sslvpn::ovpnkey
