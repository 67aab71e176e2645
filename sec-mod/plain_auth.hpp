// auth = "plain[passwd=FILE]": ocpasswd-format password file with crypt(3) hashes.
// The file is read at each login, so edits with sslvpnd-passwd apply without a reload.
#pragma once

#include <string>
#include <string_view>

namespace sslvpn::secmod {

struct PlainAuthOutcome {
  bool ok = false;
  std::string group;   // the group the session gets ("" = none)
  std::string reason;  // for the server log only; never shown to the client
};

class PlainAuth {
 public:
  explicit PlainAuth(std::string passwd_file) : path_(std::move(passwd_file)) {}

  // Checks user and password, and resolves the group: `wanted` must be one of the user's
  // groups; empty (or the default-select-group label) picks the user's first group.
  // Unknown users cost one crypt() like known ones, so timing does not reveal them.
  PlainAuthOutcome check(std::string_view user, std::string_view password, std::string_view wanted) const;

 private:
  std::string path_;
};

// Hashes `password` with crypt(3) `setting`; empty on failure. Exposed for unit tests.
std::string crypt_hash(std::string_view password, const std::string& setting);
// Compares two strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace sslvpn::secmod
