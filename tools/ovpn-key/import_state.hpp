// What sslvpnd-ovpn-key import has read of an openvpn server configuration so far
// (import.cpp's handlers fill it), and the sslvpnd.conf it makes of it (import_out.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ip_addr.hpp"
#include "tools/ovpn-key/import.hpp"

namespace sslvpn::ovpnkey {

struct Src {  // the openvpn line a setting comes from
  int line = 0;
  std::string raw;
};

// Where the password check a script or plugin did is asked for instead.
inline constexpr const char* kImportPasswordFile = "/etc/sslvpnd/passwd";

// "line N: RAW", for comments and warnings.
std::string import_where(const Src& src);
// The output's opening comment, naming the openvpn files it was made from.
std::string import_header(const std::vector<std::string>& sources);
// Its closing comments: what sslvpnd does of itself (notes), what it no longer does (warnings).
std::string import_tail(const std::vector<std::string>& notes, const std::vector<std::string>& warnings);

struct ImportState {
  explicit ImportState(const ImportArgs& a) : args(a), base_dir(a.base_dir) {}

  // Where a setting's file is, as openvpn opened it: from its working directory after the
  // last `cd` (openvpn opens its files once every option is read), or, for what it opens after
  // `chroot` (CRL, client-config-dir, scripts), inside the chroot.
  enum class PathKind { None, Base, Chroot };
  struct Setting {
    std::string key, value;  // a path's value as written, resolved in finish()
    Src src;
    std::string note;
    PathKind path = PathKind::None;
    std::string suffix;  // after the path (openvpn-status's interval)
  };
  template <class T>
  struct From {
    T value{};
    Src src;
  };

  const ImportArgs& args;
  std::string base_dir;
  std::string chroot;  // as written; resolved from base_dir
  std::string error;   // the first fatal line
  int depth = 0;       // of `config` includes
  std::vector<Setting> settings;
  std::vector<std::string> warnings, notes;
  std::vector<std::string> weakened;  // checks openvpn made that sslvpnd will not (also in warnings)
  std::vector<ImportedFile> files;

  From<uint16_t> port{1194, {}};
  bool tcp = false;
  Src proto_src;
  From<IpNet> net4, net6;
  From<std::string> tls_auth, auth_digest;
  std::string key_direction;
  std::string cert_mode = "require";  // openvpn's verify-client-cert
  Src cert_src;
  bool username_cn = false;  // username-as-common-name: a password login's name is its common name
  bool password = false;     // a password is checked (the PAM plugin, or a script or plugin we replace)
  std::string password_method;
  Src password_src;
  std::string password_why;         // the script or plugin replaced by a password file
  std::vector<std::string> pushes;  // each pushed option's text (inside the quotes)
  std::vector<Src> push_srcs;
  std::vector<IpAddr> dns_servers;
  std::vector<std::string> search_domains;

  void set(const std::string& key, const std::string& value, const Src& src, const std::string& note = "");
  // A setting that names a file (resolved at the end, with the last `cd` or inside `chroot`).
  void set_path(const std::string& key, const std::string& raw, const Src& src, PathKind kind,
                const std::string& note = "", const std::string& suffix = "");
  void warn(const Src& src, const std::string& why);
  // A check openvpn made on clients that sslvpnd will not: the import stops unless the admin
  // accepts it (--accept-weaker).
  void weaken(const Src& src, const std::string& why);
  void note(const Src& src, const std::string& why);
  void fatal(const Src& src, const std::string& why);
  // A path as openvpn took it: relative ones from its directory.
  std::string path(const std::string& p) const;
  // An inline file's path beside the output ("" with an error when the output is stdout).
  std::string inline_path(const std::string& suffix, const std::string& text, const Src& src);
  void push(const std::string& option, const Src& src);             // push "OPTION"
  void dns(const std::vector<std::string>& words, const Src& src);  // a pushed 2.6 dns option
  // The password check: `method` (pam[...]), or "" for a script or plugin we cannot run (`why`).
  void set_password(const std::string& method, const Src& src, const std::string& why);
  Result<ImportResult> finish(std::string* error);
};

}  // namespace sslvpn::ovpnkey
