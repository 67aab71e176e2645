// ocserv's ocpasswd file format: "user:group1,group2:crypt-hash", one user per line.
// A hash starting with '!' marks a locked account; the group field "*" means no group.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sslvpn {

struct PasswdEntry {
  std::string user;
  std::vector<std::string> groups;
  std::string hash;  // without the lock mark
  bool locked = false;
};

// Parses one line (no trailing newline). Comments and blank lines are Errc::NotFound.
Result<PasswdEntry> parse_passwd_line(std::string_view line);

// Finds `user` in the file text; lines that do not parse are skipped.
std::optional<PasswdEntry> find_passwd_entry(std::string_view text, std::string_view user);

// The "$id$salt$" part of the first usable hash in the file, to hash unknown users at the
// same cost as known ones; empty when the file has none.
std::string first_hash_setting(std::string_view text);

std::string format_passwd_line(const PasswdEntry& e);

// A user name we accept in the file and on the wire: 1..128 bytes, no ':', no control chars.
bool valid_user_name(std::string_view name) noexcept;
// A group name: 1..128 bytes, none of ":,", no control chars, no surrounding blanks.
bool valid_group_name(std::string_view name) noexcept;

}  // namespace sslvpn
